package dev.isthmus.controlplane.gateway;

import java.util.List;

/** Group/kind pairs as Gateway API references name them, with the defaults of each field. */
record RouteKind(String group, String kind) {
  static final List<String> NAMES = List.of("HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute");
  static final RouteKind HTTP = new RouteKind(Inputs.GW_GROUP, "HTTPRoute");
  static final RouteKind GRPC = new RouteKind(Inputs.GW_GROUP, "GRPCRoute");
  static final RouteKind TCP = new RouteKind(Inputs.GW_GROUP, "TCPRoute");
  static final RouteKind TLS = new RouteKind(Inputs.GW_GROUP, "TLSRoute");
  static final RouteKind GATEWAY = new RouteKind(Inputs.GW_GROUP, "Gateway");
  static final RouteKind LISTENER_SET = new RouteKind(Inputs.GW_GROUP, "ListenerSet");
  static final RouteKind SERVICE = new RouteKind("", "Service");
  static final RouteKind SERVICE_ENTRY = new RouteKind("networking.istio.io", "ServiceEntry");
  static final RouteKind MESH = new RouteKind(Inputs.GW_GROUP, "Mesh");
  static final RouteKind SECRET = new RouteKind("", "Secret");
  static final RouteKind CONFIG_MAP = new RouteKind("", "ConfigMap");

  static RouteKind of(String kind) {
    return new RouteKind(Inputs.GW_GROUP, kind);
  }

  /** Normalises a reference's group and kind, each defaulting to {@code def}'s. */
  static RouteKind normalize(String group, String kind, RouteKind def) {
    String g = group == null ? def.group() : group;
    String k = kind == null ? def.kind() : kind;
    if ("core".equals(g) && (k.equals("Service") || k.equals("Secret") || k.equals("ConfigMap"))) {
      g = "";
    }
    return new RouteKind(g, k);
  }

  /** The {@code group/version/kind} form Istio prints in messages. */
  String gvk() {
    String version =
        switch (kind) {
          case "Service", "Secret", "ConfigMap" -> "v1";
          case "ServiceEntry" -> "v1";
          case "XBackend" -> "v1alpha1";
          default -> "v1";
        };
    return (group.isEmpty() ? "core" : group) + "/" + version + "/" + kind;
  }
}
