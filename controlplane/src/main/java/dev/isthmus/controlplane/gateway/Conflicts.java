package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Listener conflicts across a Gateway and the ListenerSets attached to it: listeners are taken in
 * precedence order (the Gateway's, then ListenerSets by age and name) and one that cannot coexist
 * with an earlier winner is conflicted.
 */
final class Conflicts {
  private final Inputs in;
  private final GatewayClasses classes;
  private final Map<String, Map<String, Map<String, String>>> cache = new HashMap<>();

  Conflicts(Inputs in, GatewayClasses classes) {
    this.in = in;
    this.classes = classes;
  }

  static String owner(JsonNode o) {
    return Nodes.text(o, "kind") + "/" + Nodes.key(o);
  }

  /** Conflict reason by listener name, by owner ({@link #owner}). */
  Map<String, Map<String, String>> of(JsonNode gw) {
    return cache.computeIfAbsent(Nodes.key(gw), k -> compute(gw));
  }

  private Map<String, Map<String, String>> compute(JsonNode gw) {
    Map<String, Map<String, String>> out = new HashMap<>();
    GatewayClasses.ClassInfo info = classes.info(Nodes.textOr(gw, "", "spec", "gatewayClassName"));
    if (info == null || !info.supportsListenerSet()) {
      return out;
    }
    record Entry(JsonNode listener, String owner) {}
    List<Entry> ordered = new ArrayList<>();
    Nodes.list(gw, "spec", "listeners").forEach(l -> ordered.add(new Entry(l, owner(gw))));
    List<JsonNode> sets = new ArrayList<>();
    for (JsonNode ls : in.listenerSets.values()) {
      JsonNode ref = Nodes.at(ls, "spec", "parentRef");
      String key =
          Nodes.textOr(ref, Nodes.namespace(ls), "namespace") + "/" + Nodes.text(ref, "name");
      if (key.equals(Nodes.key(gw)) && Namespaces.listenerSetAllowed(in, Nodes.namespace(ls), gw)) {
        sets.add(ls);
      }
    }
    sets.sort(
        Comparator.comparing((JsonNode s) -> Nodes.textOr(s, "", "metadata", "creationTimestamp"))
            .thenComparing(Nodes::key));
    for (JsonNode ls : sets) {
      for (JsonNode l : Nodes.list(ls, "spec", "listeners")) {
        ObjectNode copy = l.deepCopy();
        if (copy.path("port").asInt() == 0) {
          switch (Nodes.textOr(copy, "", "protocol")) {
            case "HTTP" -> copy.put("port", 80);
            case "HTTPS" -> copy.put("port", 443);
            default -> {}
          }
        }
        ordered.add(new Entry(copy, owner(ls)));
      }
    }
    List<JsonNode> accepted = new ArrayList<>();
    for (Entry e : ordered) {
      JsonNode prior = null;
      for (JsonNode a : accepted) {
        if (!distinct(e.listener(), a)) {
          prior = a;
          break;
        }
      }
      if (prior != null) {
        out.computeIfAbsent(e.owner(), k -> new HashMap<>())
            .put(Nodes.textOr(e.listener(), "", "name"), reason(e.listener(), prior));
        continue;
      }
      accepted.add(e.listener());
    }
    return out;
  }

  private static String host(JsonNode l) {
    String h = Nodes.text(l, "hostname");
    return h == null || h.isEmpty() ? "*" : h;
  }

  private static boolean l4(String p) {
    return p.equals("TCP") || p.equals("UDP");
  }

  private static boolean httpLike(String p) {
    return p.equals("HTTP") || p.equals("HTTPS") || p.equals("TLS");
  }

  static boolean distinct(JsonNode a, JsonNode b) {
    if (a.path("port").asInt() != b.path("port").asInt()) {
      return true;
    }
    String pa = Nodes.textOr(a, "", "protocol");
    String pb = Nodes.textOr(b, "", "protocol");
    if ((l4(pa) && httpLike(pb)) || (httpLike(pa) && l4(pb)) || (l4(pa) && l4(pb))) {
      return false;
    }
    if (httpLike(pa) && httpLike(pb)) {
      return !host(a).equals(host(b));
    }
    return !pa.equals(pb);
  }

  static String reason(JsonNode a, JsonNode b) {
    String pa = Nodes.textOr(a, "", "protocol");
    String pb = Nodes.textOr(b, "", "protocol");
    if ((l4(pa) && l4(pb)) || !pa.equals(pb)) {
      return "ProtocolConflict";
    }
    return "HostnameConflict";
  }
}
