package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Ancestor statuses of backend policies, and which Gateways' routes reach which backends. */
final class PolicyAncestors {
  private PolicyAncestors() {}

  /** A Backend's status names its ancestors {@code parents}, each by {@code parentRef}. */
  static ObjectNode backendParent(ObjectNode ancestor) {
    ObjectNode p = Nodes.object();
    p.set("parentRef", ancestor.get("ancestorRef"));
    p.set("controllerName", ancestor.get("controllerName"));
    p.set("conditions", ancestor.get("conditions"));
    return p;
  }

  static ObjectNode targetRef(JsonNode t, boolean withSection) {
    ObjectNode r = Nodes.object();
    r.put("group", Nodes.textOr(t, "", "group"));
    r.put("kind", Nodes.textOr(t, "", "kind"));
    r.put("name", Nodes.textOr(t, "", "name"));
    if (withSection && Nodes.has(t, "sectionName")) {
      r.put("sectionName", Nodes.text(t, "sectionName"));
    }
    return r;
  }

  static ObjectNode ancestor(
      ObjectNode ref, ObjectNode st, JsonNode p, Conditions c, String controller, String now) {
    JsonNode existing = null;
    List<JsonNode> current = Nodes.list(st, "ancestors");
    current.addAll(Nodes.list(st, "parents"));
    for (JsonNode a : current) {
      if (ref.equals(refOf(a))) {
        existing = a.get("conditions");
        break;
      }
    }
    ObjectNode a = Nodes.object();
    a.set("ancestorRef", ref);
    a.put("controllerName", controller);
    a.set("conditions", c.apply(existing, Nodes.generation(p), now));
    return a;
  }

  private static JsonNode refOf(JsonNode entry) {
    return entry.has("ancestorRef") ? entry.get("ancestorRef") : entry.path("parentRef");
  }

  /** Keeps others' entries, replaces ours in place, drops our stale ones, appends new ones. */
  static ArrayNode merge(JsonNode existing, List<ObjectNode> incoming, int max) {
    List<ObjectNode> todo = new ArrayList<>(incoming);
    ArrayNode out = Nodes.array();
    if (existing != null) {
      for (JsonNode x : existing) {
        String ctl = Nodes.textOr(x, "", "controllerName");
        if (!ctl.equals(BackendPolicies.MESH) && !ctl.equals(GatewayClasses.GATEWAY_CONTROLLER)) {
          out.add(x);
          continue;
        }
        for (int i = 0; i < todo.size(); i++) {
          if (refOf(todo.get(i)).equals(refOf(x))) {
            out.add(todo.remove(i));
            break;
          }
        }
      }
    }
    todo.forEach(out::add);
    while (out.size() > max) {
      out.remove(out.size() - 1);
    }
    return out;
  }

  /** Gateways whose routes reach a backend, by {@code Kind/namespace/name} of the backend. */
  static final class RouteAncestors {
    private final Map<String, TreeSet<String>> byBackend = new java.util.HashMap<>();

    RouteAncestors(Inputs in) {
      for (Map<String, JsonNode> routes : in.routes.values()) {
        for (JsonNode r : routes.values()) {
          String ns = Nodes.namespace(r);
          List<String> gws = new ArrayList<>();
          for (JsonNode ref : Nodes.list(r, "spec", "parentRefs")) {
            if (RouteKind.normalize(
                    Nodes.text(ref, "group"), Nodes.text(ref, "kind"), RouteKind.GATEWAY)
                .equals(RouteKind.GATEWAY)) {
              gws.add(Nodes.textOr(ref, ns, "namespace") + "/" + Nodes.textOr(ref, "", "name"));
            }
          }
          for (JsonNode rule : Nodes.list(r, "spec", "rules")) {
            for (JsonNode b : Nodes.list(rule, "backendRefs")) {
              RouteKind k =
                  RouteKind.normalize(
                      Nodes.text(b, "group"), Nodes.text(b, "kind"), RouteKind.SERVICE);
              String kind =
                  switch (k.group() + "/" + k.kind()) {
                    case "/Service" -> "Service";
                    case "networking.istio.io/ServiceEntry" -> "ServiceEntry";
                    case Inputs.GWX_GROUP + "/XBackend" -> "XBackend";
                    case "inference.networking.k8s.io/InferencePool" -> "InferencePool";
                    default -> null;
                  };
              if (kind == null) {
                continue;
              }
              String key =
                  kind + "/" + Nodes.textOr(b, ns, "namespace") + "/" + Nodes.textOr(b, "", "name");
              byBackend.computeIfAbsent(key, x -> new TreeSet<>()).addAll(gws);
            }
          }
        }
      }
    }

    TreeSet<String> gatewaysOf(String backend) {
      return byBackend.getOrDefault(backend, new TreeSet<>());
    }
  }
}
