package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.BackendPolicies.Policy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Merges backend policies into one DestinationRule per target and host; the oldest wins. */
final class DestinationRules {
  private DestinationRules() {}

  static List<ObjectNode> build(Inputs in, List<Policy> policies) {
    Map<String, List<Policy>> byTarget = new LinkedHashMap<>();
    for (Policy p : policies) {
      String key =
          p.targetKind()
              + "/"
              + Nodes.namespace(p.source())
              + "/"
              + p.targetName()
              + "/"
              + p.host();
      byTarget.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
    }
    List<ObjectNode> out = new ArrayList<>();
    for (List<Policy> group : byTarget.values()) {
      group.sort(
          Comparator.comparing((Policy p) -> BackendPolicies.created(p.source()))
              .thenComparing(p -> Nodes.namespace(p.source()))
              .thenComparing(p -> Nodes.name(p.source())));
      Policy first = group.get(0);
      String ns = Nodes.namespace(first.source());
      ObjectNode tp = Nodes.object();
      Map<String, ObjectNode> byName = new LinkedHashMap<>();
      Map<Integer, ObjectNode> byNumber = new TreeMap<>();
      List<String> parents = new ArrayList<>();
      boolean lbSet = false;
      boolean rbSet = false;
      for (Policy p : group) {
        if (p.tls() != null) {
          if (p.port() != null) {
            byNumber.putIfAbsent(p.port(), portPolicy(p.port(), p.tls()));
          } else if (p.sectionName() != null) {
            byName.putIfAbsent(p.sectionName(), portPolicy(0, p.tls()));
          } else if (!tp.has("tls")) {
            tp.set("tls", p.tls().deepCopy());
          } else {
            continue;
          }
        }
        if (p.loadBalancer() != null) {
          if (lbSet) {
            continue;
          }
          lbSet = true;
          tp.set("loadBalancer", p.loadBalancer().deepCopy());
        }
        if (p.retryBudget() != null) {
          if (rbSet) {
            continue;
          }
          rbSet = true;
          tp.set("retryBudget", p.retryBudget().deepCopy());
        }
        String parent =
            p.sourceKind() + "/" + Nodes.namespace(p.source()) + "." + Nodes.name(p.source());
        if (!parents.contains(parent)) {
          parents.add(parent);
        }
      }
      JsonNode target =
          switch (first.targetKind()) {
            case "Service" -> in.services.get(ns + "/" + first.targetName());
            case "ServiceEntry" -> in.serviceEntries.get(ns + "/" + first.targetName());
            default -> null;
          };
      List<ObjectNode> levels = new ArrayList<>();
      for (Map.Entry<String, ObjectNode> e : byName.entrySet()) {
        for (JsonNode port : Nodes.list(target, "spec", "ports")) {
          if (e.getKey().equals(Nodes.text(port, "name"))) {
            int n = port.has("number") ? port.get("number").asInt() : port.path("port").asInt();
            ((ObjectNode) e.getValue().get("port")).put("number", n);
            break;
          }
        }
        levels.add(e.getValue());
      }
      levels.addAll(byNumber.values());
      levels.sort(Comparator.comparingInt(l -> l.at("/port/number").asInt()));
      if (!levels.isEmpty()) {
        ArrayNode a = tp.putArray("portLevelSettings");
        levels.forEach(a::add);
      }
      ObjectNode dr = Nodes.object();
      dr.put("apiVersion", "networking.istio.io/v1");
      dr.put("kind", "DestinationRule");
      ObjectNode meta = dr.putObject("metadata");
      meta.putObject("annotations").put("internal.istio.io/parents", String.join(",", parents));
      String name =
          first.targetKind().equals("ServiceEntry") || first.targetKind().equals("XBackend")
              ? first.targetName() + "~" + first.host().replace('.', '-') + "~" + Gateways.AUTOGEN
              : first.targetName() + "~" + Gateways.AUTOGEN;
      meta.put("name", name);
      meta.put("namespace", ns);
      ObjectNode spec = dr.putObject("spec");
      spec.put("host", first.host());
      spec.set("trafficPolicy", tp);
      out.add(dr);
    }
    out.sort(Comparator.comparing(Nodes::namespace).thenComparing(Nodes::name));
    return out;
  }

  private static ObjectNode portPolicy(int port, ObjectNode tls) {
    ObjectNode p = Nodes.object();
    p.putObject("port").put("number", port);
    p.set("tls", tls.deepCopy());
    return p;
  }
}
