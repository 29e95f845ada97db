package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/** The GatewayClasses this control plane serves, and their status. */
final class GatewayClasses {
  static final String GATEWAY_CONTROLLER = "istio.io/gateway-controller";
  static final String UNMANAGED_CONTROLLER = "istio.io/unmanaged-gateway";
  static final String MESH_CONTROLLER = "istio.io/mesh-controller";
  static final String EASTWEST_CONTROLLER = "istio.io/eastwest-controller";

  /**
   * What a controller does with its Gateways.
   *
   * @param addressType the address type reported when there is no external address; null for both
   */
  record ClassInfo(
      String controller,
      boolean disableRouteGeneration,
      boolean supportsListenerSet,
      boolean disableNameSuffix,
      String addressType) {}

  static final Map<String, ClassInfo> INFOS =
      Map.of(
          GATEWAY_CONTROLLER,
          new ClassInfo(GATEWAY_CONTROLLER, false, true, false, "Hostname"),
          UNMANAGED_CONTROLLER,
          new ClassInfo(UNMANAGED_CONTROLLER, true, false, false, "Hostname"),
          MESH_CONTROLLER,
          new ClassInfo(MESH_CONTROLLER, false, false, true, null),
          EASTWEST_CONTROLLER,
          new ClassInfo(EASTWEST_CONTROLLER, false, false, true, null));

  /** Classes that need no GatewayClass object to be served. */
  static final Map<String, String> BUILTIN =
      Map.of(
          "istio", GATEWAY_CONTROLLER,
          "istio-remote", UNMANAGED_CONTROLLER,
          "istio-waypoint", MESH_CONTROLLER,
          "istio-east-west", EASTWEST_CONTROLLER);

  private final Inputs in;

  GatewayClasses(Inputs in) {
    this.in = in;
  }

  /** The class info for a class name, or null when the class is not ours. */
  ClassInfo info(String className) {
    JsonNode gc = in.gatewayClasses.get(className);
    if (gc == null) {
      String builtin = BUILTIN.get(className);
      return builtin == null ? null : INFOS.get(builtin);
    }
    return INFOS.get(Nodes.textOr(gc, "", "spec", "controllerName"));
  }

  void statuses(Status out) {
    for (JsonNode gc : in.gatewayClasses.values()) {
      if (!INFOS.containsKey(Nodes.textOr(gc, "", "spec", "controllerName"))) {
        continue;
      }
      ObjectNode status = existing(gc);
      Conditions c = new Conditions();
      c.put("Accepted", "Accepted", "Handled by Istio controller");
      status.set("conditions", c.apply(status.get("conditions"), Nodes.generation(gc), out.now));
      out.put(gc, status);
    }
  }

  static ObjectNode existing(JsonNode o) {
    JsonNode s = o.get("status");
    return s != null && s.isObject() ? ((ObjectNode) s).deepCopy() : Nodes.object();
  }

  static List<String> names() {
    return List.copyOf(BUILTIN.keySet());
  }
}
