package dev.isthmus.controlplane.gateway;

import java.util.List;

/** Something a route can bind to: one listener of a Gateway or ListenerSet, or the mesh. */
record Parent(
    Key key,
    String internalName,
    List<RouteKind> allowedKinds,
    List<String> hostnames,
    String originalHostname,
    String sectionName,
    int port,
    String protocol) {

  /** The object a parentRef names. */
  record Key(RouteKind kind, String namespace, String name) {}

  static final Key MESH_KEY = new Key(RouteKind.MESH, "", "istio");

  static final Parent MESH =
      new Parent(
          MESH_KEY,
          "mesh",
          List.of(RouteKind.HTTP, RouteKind.GRPC, RouteKind.TCP, RouteKind.TLS),
          List.of(),
          "",
          "",
          0,
          "");
}
