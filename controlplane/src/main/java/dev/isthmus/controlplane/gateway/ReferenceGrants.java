package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** ReferenceGrants: which kinds in which namespaces may refer to objects in another namespace. */
final class ReferenceGrants {
  private record Grant(RouteKind from, String fromNs, RouteKind to, String toNs, String name) {}

  private static final Set<String> FROM =
      Set.of("Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "ListenerSet");

  private final List<Grant> grants = new ArrayList<>();

  ReferenceGrants(Inputs in) {
    for (JsonNode rg : in.referenceGrants) {
      for (JsonNode from : Nodes.list(rg, "spec", "from")) {
        RouteKind f =
            RouteKind.normalize(
                Nodes.text(from, "group"), Nodes.text(from, "kind"), new RouteKind("", ""));
        if (!f.group().equals(Inputs.GW_GROUP) || !FROM.contains(f.kind())) {
          continue;
        }
        for (JsonNode to : Nodes.list(rg, "spec", "to")) {
          RouteKind t =
              RouteKind.normalize(
                  Nodes.text(to, "group"), Nodes.text(to, "kind"), new RouteKind("", ""));
          boolean known =
              t.equals(RouteKind.CONFIG_MAP)
                  || t.equals(RouteKind.SECRET)
                  || t.equals(RouteKind.SERVICE)
                  || t.equals(new RouteKind(Inputs.GWX_GROUP, "XBackend"))
                  || t.equals(new RouteKind("inference.networking.k8s.io", "InferencePool"));
          if (!known) {
            continue;
          }
          grants.add(
              new Grant(
                  f,
                  Nodes.textOr(from, "", "namespace"),
                  t,
                  Nodes.namespace(rg),
                  Nodes.text(to, "name")));
        }
      }
    }
  }

  /** Whether a {@code fromKind} in {@code fromNs} may refer to {@code name} of {@code toKind}. */
  boolean allowed(RouteKind fromKind, String fromNs, RouteKind toKind, String toNs, String name) {
    for (Grant g : grants) {
      if (g.from().equals(fromKind)
          && g.fromNs().equals(fromNs)
          && g.to().equals(toKind)
          && g.toNs().equals(toNs)
          && (g.name() == null || g.name().equals(name))) {
        return true;
      }
    }
    return false;
  }
}
