package dev.isthmus.controlplane.xds;

import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code EndpointGenerator} builds EDS: one {@link ClusterLoadAssignment} per EDS cluster,
 * endpoints grouped by locality with the locality weight being the sum of its endpoint weights
 * (proxyless gRPC ignores localities without weight). Unhealthy endpoints are left out;
 * terminating-but-serving ones are sent as {@code DRAINING}.
 */
final class EndpointGenerator {
  private final ConfigLookup lookup;

  EndpointGenerator(ConfigLookup lookup) {
    this.lookup = lookup;
  }

  /** Assignments for the given cluster names; unknown names get an empty assignment. */
  List<ClusterLoadAssignment> generate(ProxyNode proxy, List<String> clusterNames) {
    List<ClusterLoadAssignment> out = new ArrayList<>(clusterNames.size());
    for (String name : clusterNames) {
      out.add(assignment(proxy, name));
    }
    return out;
  }

  ClusterLoadAssignment assignment(ProxyNode proxy, String clusterName) {
    ClusterLoadAssignment.Builder cla =
        ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    String[] parts = clusterName.split("\\|", -1);
    if (parts.length != 4 || !parts[0].equals("outbound")) {
      return cla.build();
    }
    int port;
    try {
      port = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return cla.build();
    }
    String subset = parts[2];
    String host = parts[3];
    MeshService svc = lookup.mesh().services().get(host);
    if (svc == null) {
      return cla.build();
    }
    Map<String, String> subsetLabels = Map.of();
    if (!subset.isEmpty()) {
      ConfigEntry<DestinationRule> dr =
          lookup.destinationRule(host, svc.namespace(), proxy.namespace()).orElse(null);
      Subset s =
          dr == null || dr.spec().getSubsets() == null
              ? null
              : dr.spec().getSubsets().stream()
                  .filter(x -> subset.equals(x.getName()))
                  .findFirst()
                  .orElse(null);
      if (s == null) {
        return cla.build();
      }
      subsetLabels = s.getLabels() == null ? Map.of() : s.getLabels();
    }
    Map<String, LocalityLbEndpoints.Builder> byLocality = new TreeMap<>();
    Map<String, Integer> weights = new TreeMap<>();
    for (MeshEndpoint e : lookup.mesh().endpointsOf(host)) {
      if (e.servicePort() != port || e.health() == MeshEndpoint.Health.UNHEALTHY) {
        continue;
      }
      Map<String, String> labels = e.labels();
      if (!subsetLabels.entrySet().stream()
          .allMatch(l -> l.getValue().equals(labels.get(l.getKey())))) {
        continue;
      }
      LocalityLbEndpoints.Builder l =
          byLocality.computeIfAbsent(
              e.locality(), k -> LocalityLbEndpoints.newBuilder().setLocality(locality(k)));
      l.addLbEndpoints(
          LbEndpoint.newBuilder()
              .setEndpoint(
                  Endpoint.newBuilder()
                      .setAddress(
                          Address.newBuilder()
                              .setSocketAddress(
                                  SocketAddress.newBuilder()
                                      .setAddress(e.address())
                                      .setPortValue(e.port()))))
              .setHealthStatus(
                  e.health() == MeshEndpoint.Health.DRAINING
                      ? HealthStatus.DRAINING
                      : HealthStatus.HEALTHY)
              .setLoadBalancingWeight(UInt32Value.of(e.weight())));
      weights.merge(e.locality(), e.weight(), Integer::sum);
    }
    byLocality.forEach(
        (k, l) -> cla.addEndpoints(l.setLoadBalancingWeight(UInt32Value.of(weights.get(k)))));
    return cla.build();
  }

  static Locality locality(String value) {
    if (value == null || value.isEmpty()) {
      return Locality.getDefaultInstance();
    }
    String[] p = value.split("/", -1);
    Locality.Builder b = Locality.newBuilder().setRegion(p[0]);
    if (p.length > 1) {
      b.setZone(p[1]);
    }
    if (p.length > 2) {
      b.setSubZone(p[2]);
    }
    return b.build();
  }
}
