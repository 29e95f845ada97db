package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Binds a route's parentRefs to parents, and writes the route's parent statuses. */
final class RouteBinding {
  static final String CONTROLLER = GatewayClasses.GATEWAY_CONTROLLER;

  /** One (parentRef, parent) pair; denied when the parent does not admit the route. */
  record Ref(
      int index,
      JsonNode original,
      Parent parent,
      RouteKind kind,
      Problem denied,
      Set<String> banned) {
    boolean mesh() {
      return parent.internalName().equals("mesh");
    }
  }

  private final Inputs in;
  private final Map<Parent.Key, List<Parent>> parents;

  RouteBinding(Inputs in, Map<Parent.Key, List<Parent>> parents) {
    this.in = in;
    this.parents = parents;
  }

  List<Ref> refs(JsonNode route, RouteKind routeKind) {
    String localNs = Nodes.namespace(route);
    List<String> hostnames = new ArrayList<>();
    Nodes.list(route, "spec", "hostnames").forEach(h -> hostnames.add(h.asText()));
    List<Ref> out = new ArrayList<>();
    List<JsonNode> specRefs = Nodes.list(route, "spec", "parentRefs");
    for (int i = 0; i < specRefs.size(); i++) {
      JsonNode ref = specRefs.get(i);
      RouteKind kind =
          RouteKind.normalize(Nodes.text(ref, "group"), Nodes.text(ref, "kind"), RouteKind.GATEWAY);
      if (!kind.equals(RouteKind.GATEWAY)
          && !kind.equals(RouteKind.SERVICE)
          && !kind.equals(RouteKind.SERVICE_ENTRY)
          && !kind.equals(RouteKind.LISTENER_SET)) {
        continue;
      }
      Parent.Key key =
          new Parent.Key(
              kind, Nodes.textOr(ref, localNs, "namespace"), Nodes.textOr(ref, "", "name"));
      Parent.Key lookup = key;
      if (kind.equals(RouteKind.SERVICE) || kind.equals(RouteKind.SERVICE_ENTRY)) {
        if (waypointOfOtherController(key)) {
          continue;
        }
        lookup = Parent.MESH_KEY;
      }
      List<Parent> current =
          lookup.equals(Parent.MESH_KEY)
              ? List.of(Parent.MESH)
              : parents.getOrDefault(lookup, List.of());
      for (Parent p : current) {
        Set<String> banned = new HashSet<>();
        for (Parent other : current) {
          if (other != p && other.port() == p.port() && other.protocol().equals(p.protocol())) {
            banned.add(other.originalHostname());
          }
        }
        banned.remove(p.originalHostname());
        Problem denied = allowed(p, routeKind, kind, key, ref, hostnames, localNs);
        out.add(new Ref(i, ref, p, kind, denied, banned));
      }
    }
    out.sort(Comparator.comparing(r -> refString(r.original(), localNs)));
    return out;
  }

  private boolean waypointOfOtherController(Parent.Key key) {
    JsonNode svc =
        key.kind().equals(RouteKind.SERVICE)
            ? in.services.get(key.namespace() + "/" + key.name())
            : in.serviceEntries.get(key.namespace() + "/" + key.name());
    if (svc == null) {
      return false;
    }
    Map<String, String> labels = Nodes.strings(svc, "metadata", "labels");
    String waypoint = labels.get("istio.io/use-waypoint");
    if (waypoint == null) {
      labels = in.namespaces.getOrDefault(key.namespace(), Map.of());
      waypoint = labels.get("istio.io/use-waypoint");
    }
    if (waypoint == null || waypoint.isEmpty() || waypoint.equalsIgnoreCase("none")) {
      return false;
    }
    String ns = labels.getOrDefault("istio.io/use-waypoint-namespace", key.namespace());
    JsonNode gw = in.gateways.get(ns + "/" + waypoint);
    if (gw == null) {
      return false;
    }
    JsonNode gc = in.gatewayClasses.get(Nodes.textOr(gw, "", "spec", "gatewayClassName"));
    if (gc == null) {
      return false;
    }
    String c = Nodes.textOr(gc, "", "spec", "controllerName");
    return !c.equals(GatewayClasses.MESH_CONTROLLER) && !c.equals(CONTROLLER);
  }

  private Problem allowed(
      Parent p,
      RouteKind routeKind,
      RouteKind refKind,
      Parent.Key key,
      JsonNode ref,
      List<String> routeHosts,
      String localNs) {
    if (refKind.equals(RouteKind.SERVICE)) {
      if (!in.services.containsKey(key.namespace() + "/" + key.name())) {
        return new Problem(
            "NoMatchingParent", String.format("parent service: \"%s\" not found", key.name()));
      }
    } else if (refKind.equals(RouteKind.SERVICE_ENTRY)) {
      if (!in.serviceEntries.containsKey(key.namespace() + "/" + key.name())) {
        return new Problem(
            "NoMatchingParent",
            String.format("parent service entry: \"%s\" not found", key.name()));
      }
    } else {
      int port = ref.path("port").asInt(0);
      if (port != 0 && port != p.port()) {
        return new Problem("NoMatchingParent", String.format("port %d not found", port));
      }
      String section = Nodes.textOr(ref, "", "sectionName");
      if (!section.isEmpty() && !section.equals(p.sectionName())) {
        return new Problem(
            "NoMatchingParent", String.format("sectionName \"%s\" not found", section));
      }
      List<String> hosts = routeHosts.isEmpty() ? List.of("*") : routeHosts;
      if (!p.hostnames().isEmpty()) {
        boolean matched = false;
        boolean hostMatched = false;
        outer:
        for (String rh : hosts) {
          for (String ph : p.hostnames()) {
            String pns = "*";
            String phost = ph;
            int slash = ph.indexOf('/');
            if (slash >= 0) {
              pns = ph.substring(0, slash);
              phost = ph.substring(slash + 1);
            }
            boolean hm = Hosts.matches(phost, rh);
            hostMatched |= hm;
            if (hm && (pns.equals("*") || pns.equals(localNs))) {
              matched = true;
              break outer;
            }
          }
        }
        if (!matched) {
          if (hostMatched) {
            return new Problem(
                "NotAllowedByListeners",
                String.format(
                    "hostnames matched parent hostname \"%s\", but namespace \"%s\" is not allowed"
                        + " by the parent",
                    p.originalHostname(), localNs));
          }
          return new Problem(
              "NoMatchingListenerHostname",
              String.format("no hostnames matched parent hostname \"%s\"", p.originalHostname()));
        }
      }
    }
    if (!p.allowedKinds().contains(routeKind)) {
      return new Problem(
          "NotAllowedByListeners", String.format("kind %s is not allowed", routeKind.gvk()));
    }
    return null;
  }

  /** The bound references, without denied ones, ordered by parent name. */
  static List<Ref> accepted(List<Ref> refs) {
    List<Ref> out = new ArrayList<>();
    for (Ref r : refs) {
      if (r.denied() == null) {
        out.add(r);
      }
    }
    out.sort(Comparator.comparing(r -> r.parent().internalName()));
    return out;
  }

  static String refString(JsonNode ref, String localNs) {
    return String.format(
        "%s/%s/%s/%s/%d.%s",
        Nodes.textOr(ref, Inputs.GW_GROUP, "group"),
        Nodes.textOr(ref, "Gateway", "kind"),
        Nodes.textOr(ref, "", "name"),
        Nodes.textOr(ref, "", "sectionName"),
        ref.path("port").asInt(0),
        Nodes.textOr(ref, localNs, "namespace"));
  }

  private static int rank(Problem p) {
    if (p == null) {
      return 0;
    }
    return switch (p.reason()) {
      case "NotAllowedByListeners" -> 1;
      case "NoMatchingListenerHostname" -> 2;
      case "ParentRefConflict" -> 3;
      case "NoMatchingParent" -> 4;
      default -> 0;
    };
  }

  /**
   * The route's {@code status.parents}: one entry per parentRef bound to one of our parents, the
   * best outcome across its listeners; others' entries are kept as they are.
   */
  static ArrayNode status(
      JsonNode route,
      List<Ref> refs,
      Problem gatewayError,
      Problem meshError,
      long generation,
      String now) {
    String localNs = Nodes.namespace(route);
    List<JsonNode> current = Nodes.list(route, "status", "parents");
    Map<String, Integer> ours = new HashMap<>();
    for (int i = 0; i < current.size(); i++) {
      if (CONTROLLER.equals(Nodes.text(current.get(i), "controllerName"))) {
        ours.putIfAbsent(refString(current.get(i).path("parentRef"), localNs), i);
      }
    }
    Map<Integer, List<Ref>> seen = new LinkedHashMap<>();
    Map<Integer, Integer> success = new HashMap<>();
    for (Ref r : refs) {
      seen.computeIfAbsent(r.index(), k -> new ArrayList<>()).add(r);
      if (r.denied() == null) {
        success.merge(r.index(), 1, Integer::sum);
      }
    }
    List<JsonNode> parents = new ArrayList<>();
    current.forEach(p -> parents.add(p.deepCopy()));
    List<ObjectNode> append = new ArrayList<>();
    Set<Integer> refreshed = new HashSet<>();
    for (Map.Entry<Integer, List<Ref>> e : seen.entrySet()) {
      List<Ref> results = e.getValue();
      Ref report = results.get(0);
      Problem denied = report.denied();
      int best = rank(denied);
      for (Ref r : results.subList(1, results.size())) {
        int rk = rank(r.denied());
        if (rk < best) {
          best = rk;
          report = r;
          denied = r.denied();
        } else if (rk == best && denied != null) {
          denied = new Problem(denied.reason(), denied.message() + "; " + r.denied().message());
        } else if (rk == best) {
          denied = r.denied();
        }
      }
      int n = success.getOrDefault(e.getKey(), 0);
      Conditions c = new Conditions();
      c.put(
          "Accepted",
          "Accepted",
          n > 1 ? "Route was valid, bound to " + n + " parents" : "Route was valid");
      c.put("ResolvedRefs", "ResolvedRefs", "All references resolved");
      Problem routeError = report.mesh() ? meshError : gatewayError;
      if (routeError != null) {
        c.fail("ResolvedRefs", routeError);
      }
      if (denied != null) {
        c.fail("Accepted", denied);
      }
      String mine = refString(report.original(), localNs);
      Integer at = ours.get(mine);
      JsonNode existing = at == null ? null : parents.get(at).get("conditions");
      ObjectNode ps = Nodes.object();
      ps.set("parentRef", report.original().deepCopy());
      ps.put("controllerName", CONTROLLER);
      ps.set("conditions", c.apply(existing, generation, now));
      if (at != null) {
        parents.set(at, ps);
        refreshed.add(at);
        ours.remove(mine);
      } else {
        append.add(ps);
      }
    }
    append.sort(
        Comparator.comparing((ObjectNode p) -> refString(p.get("parentRef"), localNs)).reversed());
    parents.addAll(append);
    Set<Integer> stale = new HashSet<>(ours.values());
    ArrayNode out = Nodes.array();
    for (int i = 0; i < parents.size(); i++) {
      if (!stale.contains(i)) {
        out.add(parents.get(i));
      }
    }
    return out;
  }
}
