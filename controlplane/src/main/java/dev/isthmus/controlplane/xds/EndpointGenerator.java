package dev.isthmus.controlplane.xds;

import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.Workload;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
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
 * terminating-but-serving ones are sent as {@code DRAINING}. With locality load balancing in the
 * effective DestinationRule (see {@link LocalityLoadBalancing}) the output depends on the proxy's
 * locality: {@link #dependsOnProxyLocality} tells which clusters.
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

  /**
   * Whether the assignment of {@code clusterName} for {@code proxy} depends on the proxy itself —
   * its locality, and with {@code failoverPriority} its labels — rather than only on the mesh and
   * the DestinationRule the proxy sees. True when the effective DestinationRule policy applies
   * locality load balancing: {@code distribute}, or failover (which needs outlier detection). A
   * shared EDS cache must key such assignments by proxy locality (and labels), or not share them.
   */
  boolean dependsOnProxyLocality(ProxyNode proxy, String clusterName) {
    Target t = target(proxy, clusterName);
    return t != null && t.plan() != null;
  }

  /** What a cluster name resolves to for one proxy. */
  private record Target(
      MeshService svc,
      int port,
      Map<String, String> subsetLabels,
      LocalityLoadBalancing.Plan plan) {}

  private Target target(ProxyNode proxy, String clusterName) {
    String[] parts = clusterName.split("\\|", -1);
    if (parts.length != 4 || !parts[0].equals("outbound")) {
      return null;
    }
    int port;
    try {
      port = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    String subset = parts[2];
    String host = parts[3];
    MeshService svc = lookup.mesh().services().get(host);
    if (svc == null) {
      return null;
    }
    ConfigEntry<DestinationRule> dr =
        lookup.destinationRule(host, svc.namespace(), proxy.namespace()).orElse(null);
    Map<String, String> subsetLabels = Map.of();
    if (!subset.isEmpty()) {
      Subset s =
          dr == null || dr.spec().getSubsets() == null
              ? null
              : dr.spec().getSubsets().stream()
                  .filter(x -> subset.equals(x.getName()))
                  .findFirst()
                  .orElse(null);
      if (s == null) {
        return null;
      }
      subsetLabels = s.getLabels() == null ? Map.of() : s.getLabels();
    }
    // Proxyless gRPC clients get plain locality weights, as from Istio's gRPC generator.
    LocalityLoadBalancing.Plan plan =
        proxy.type() == ProxyNode.Type.PROXYLESS_GRPC
            ? null
            : LocalityLoadBalancing.plan(
                ConfigLookup.policy(dr == null ? null : dr.spec(), subset, port));
    return new Target(svc, port, subsetLabels, plan);
  }

  ClusterLoadAssignment assignment(ProxyNode proxy, String clusterName) {
    ClusterLoadAssignment.Builder cla =
        ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    Target t = target(proxy, clusterName);
    if (t == null) {
      return cla.build();
    }
    LocalityLoadBalancing.Plan plan = t.plan();
    List<String> failoverPriority = plan == null ? List.of() : plan.failoverPriority();
    Map<String, String> proxyLabels = proxyLabels(proxy);
    // Grouped by locality, then by failoverPriority rank (0 without such labels).
    Map<String, Map<Integer, LocalityLbEndpoints.Builder>> groups = new TreeMap<>();
    Map<String, Map<Integer, Integer>> weights = new TreeMap<>();
    for (MeshEndpoint e : lookup.mesh().endpointsOf(t.svc().hostname())) {
      if (e.servicePort() != t.port() || e.health() == MeshEndpoint.Health.UNHEALTHY) {
        continue;
      }
      Map<String, String> labels = e.labels();
      if (!t.subsetLabels().entrySet().stream()
          .allMatch(l -> l.getValue().equals(labels.get(l.getKey())))) {
        continue;
      }
      int rank =
          failoverPriority.isEmpty() || proxyLabels.isEmpty()
              ? 0
              : LocalityLoadBalancing.labelPriority(failoverPriority, proxyLabels, labels);
      LocalityLbEndpoints.Builder l =
          groups
              .computeIfAbsent(e.locality(), k -> new TreeMap<>())
              .computeIfAbsent(
                  rank,
                  k ->
                      LocalityLbEndpoints.newBuilder()
                          .setLocality(locality(e.locality()))
                          .setPriority(k));
      LbEndpoint.Builder lbe = LbEndpoint.newBuilder();
      if (AutoMtls.ISTIO.equals(e.labels().get(AutoMtls.TLS_MODE_LABEL))) {
        lbe.setMetadata(AutoMtls.ENDPOINT_METADATA);
      }
      l.addLbEndpoints(
          lbe.setEndpoint(endpoint(e))
              .setHealthStatus(
                  e.health() == MeshEndpoint.Health.DRAINING
                      ? HealthStatus.DRAINING
                      : HealthStatus.HEALTHY)
              .setLoadBalancingWeight(UInt32Value.of(e.weight())));
      weights
          .computeIfAbsent(e.locality(), k -> new TreeMap<>())
          .merge(rank, e.weight(), Integer::sum);
    }
    List<LocalityLbEndpoints> out = new ArrayList<>();
    groups.forEach(
        (loc, byRank) ->
            byRank.forEach(
                (rank, l) ->
                    out.add(
                        l.setLoadBalancingWeight(UInt32Value.of(weights.get(loc).get(rank)))
                            .build())));
    if (plan == null) {
      return cla.addAllEndpoints(out).build();
    }
    return cla.addAllEndpoints(
            LocalityLoadBalancing.apply(
                plan, locality(proxy.locality()), !proxy.locality().isEmpty(), out))
        .build();
  }

  private Map<String, String> proxyLabels(ProxyNode proxy) {
    Workload w = lookup.mesh().workloads().get(proxy.ip());
    return w != null ? w.labels() : proxy.labels();
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

  /** The Envoy endpoint at the address and port of {@code e}. */
  static Endpoint endpoint(MeshEndpoint e) {
    return Endpoint.newBuilder()
        .setAddress(ListenerGenerator.address(e.address(), e.port()))
        .build();
  }
}
