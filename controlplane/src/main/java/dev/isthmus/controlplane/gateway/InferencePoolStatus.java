package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * InferencePool status: one parent per Gateway that has accepted (in the routes' live status) an
 * HTTPRoute sending traffic to the pool, and whether the endpoint picker service resolves.
 */
final class InferencePoolStatus {
  private static final Set<String> OURS = Set.copyOf(GatewayClasses.BUILTIN.values());
  private static final String GROUP = "inference.networking.k8s.io";

  private InferencePoolStatus() {}

  static void run(Inputs in, Status status) {
    for (JsonNode pool : in.inferencePools.values()) {
      status.put(pool, status(in, pool, status.now));
    }
  }

  private static boolean references(JsonNode route, JsonNode pool) {
    for (JsonNode rule : Nodes.list(route, "spec", "rules")) {
      for (JsonNode b : Nodes.list(rule, "backendRefs")) {
        if (GROUP.equals(Nodes.text(b, "group"))
            && "InferencePool".equals(Nodes.text(b, "kind"))
            && Nodes.name(pool).equals(Nodes.text(b, "name"))
            && Nodes.textOr(b, Nodes.namespace(route), "namespace").equals(Nodes.namespace(pool))) {
          return true;
        }
      }
    }
    return false;
  }

  private static String gatewayOf(JsonNode route, JsonNode parentStatus) {
    String ns = Nodes.textOr(parentStatus, "", "parentRef", "namespace");
    return (ns.isEmpty() ? Nodes.namespace(route) : ns)
        + "/"
        + Nodes.textOr(parentStatus, "", "parentRef", "name");
  }

  private static ObjectNode status(Inputs in, JsonNode pool, String now) {
    List<JsonNode> routes =
        in.routes.get("HTTPRoute").values().stream().filter(r -> references(r, pool)).toList();
    TreeSet<String> parents = new TreeSet<>();
    for (JsonNode r : routes) {
      for (JsonNode ps : Nodes.list(r, "status", "parents")) {
        if (OURS.contains(Nodes.textOr(ps, "", "controllerName"))) {
          parents.add(gatewayOf(r, ps));
        }
      }
    }
    ArrayNode out = Nodes.array();
    List<JsonNode> existing = Nodes.list(pool, "status", "parents");
    for (JsonNode e : existing) {
      String ns = Nodes.textOr(e, Nodes.namespace(pool), "parentRef", "namespace");
      if (ns.isEmpty()) {
        ns = Nodes.namespace(pool);
      }
      String key = ns + "/" + Nodes.textOr(e, "", "parentRef", "name");
      JsonNode gw = in.gateways.get(key);
      boolean ourGateway =
          gw != null
              && GatewayClasses.BUILTIN.containsKey(
                  Nodes.textOr(gw, "", "spec", "gatewayClassName"));
      boolean defaultParent =
          "Status".equals(Nodes.text(e, "parentRef", "kind"))
              && "default".equals(Nodes.text(e, "parentRef", "name"));
      if (!parents.contains(key) && !ourGateway && !defaultParent) {
        out.add(e.deepCopy());
      }
    }
    for (String gw : parents) {
      String gwNs = gw.substring(0, gw.indexOf('/'));
      String gwName = gw.substring(gw.indexOf('/') + 1);
      ArrayNode kept = Nodes.array();
      for (JsonNode e : existing) {
        if (gwName.equals(Nodes.text(e, "parentRef", "name"))
            && gwNs.equals(Nodes.textOr(e, "", "parentRef", "namespace"))) {
          for (JsonNode c : Nodes.list(e, "conditions")) {
            String t = Nodes.textOr(c, "", "type");
            if (t.equals("Accepted") || t.equals("ResolvedRefs")) {
              kept.add(c);
            }
          }
          break;
        }
      }
      Conditions c = new Conditions();
      accepted(c, routes, gwNs, gwName);
      resolved(c, in, pool);
      ObjectNode p = out.addObject();
      ObjectNode ref = p.putObject("parentRef");
      ref.put("group", Inputs.GW_GROUP);
      ref.put("kind", "Gateway");
      ref.put("namespace", gwNs);
      ref.put("name", gwName);
      p.set("conditions", c.apply(kept, Nodes.generation(pool), now));
    }
    ObjectNode st = Nodes.object();
    if (!out.isEmpty()) {
      st.set("parents", out);
    }
    return st;
  }

  private static void accepted(Conditions c, List<JsonNode> routes, String gwNs, String gwName) {
    for (JsonNode r : routes) {
      for (JsonNode ps : Nodes.list(r, "status", "parents")) {
        if (!OURS.contains(Nodes.textOr(ps, "", "controllerName"))
            || !gatewayOf(r, ps).equals(gwNs + "/" + gwName)) {
          continue;
        }
        for (JsonNode cond : Nodes.list(ps, "conditions")) {
          if ("Accepted".equals(Nodes.text(cond, "type"))) {
            if ("True".equals(Nodes.text(cond, "status"))) {
              c.put(
                  "Accepted",
                  "Accepted",
                  "Referenced by an HTTPRoute accepted by the parentRef Gateway");
            } else {
              c.put(
                      "Accepted",
                      "HTTPRouteNotAccepted",
                      String.format(
                          "Referenced HTTPRoute %s not accepted by Gateway %s/%s: %s",
                          Nodes.key(r), gwNs, gwName, Nodes.textOr(cond, "", "message")))
                  .negative();
            }
            return;
          }
        }
        c.put("Accepted", "Accepted", "Referenced by an HTTPRoute unknown parentRef Gateway status")
            .unknown();
        return;
      }
    }
    c.put(
            "Accepted",
            "HTTPRouteNotAccepted",
            String.format(
                "No HTTPRoute found referencing this InferencePool with Gateway %s/%s as parent",
                gwNs, gwName))
        .negative();
  }

  private static void resolved(Conditions c, Inputs in, JsonNode pool) {
    String kind = Nodes.textOr(pool, "", "spec", "endpointPickerRef", "kind");
    if (kind.isEmpty()) {
      kind = "Service";
    }
    String name = Nodes.textOr(pool, "", "spec", "endpointPickerRef", "name");
    if (!kind.equals("Service")) {
      c.put("ResolvedRefs", "InvalidExtensionRef", "Unsupported ExtensionRef kind " + kind)
          .negative();
    } else if (name.isEmpty()) {
      c.put("ResolvedRefs", "InvalidExtensionRef", "ExtensionRef not defined").negative();
    } else if (!in.services.containsKey(Nodes.namespace(pool) + "/" + name)) {
      c.put("ResolvedRefs", "InvalidExtensionRef", "Referenced ExtensionRef not found " + name)
          .negative();
    } else {
      c.put("ResolvedRefs", "ResolvedRefs", "Referenced ExtensionRef resolved successfully");
    }
  }
}
