package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.Workload;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.TCPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.TLSMatchAttributes;
import io.fabric8.istio.api.api.networking.v1alpha3.TLSRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code TcpRoutes} turns VirtualService {@code tcp} and {@code tls} routes into filter chains with
 * a TCP proxy: one destination becomes {@code cluster}, several become {@code weighted_clusters}
 * (zero weights left out). TLS routes match on SNI ({@code server_names}); TCP routes take the
 * first route whose match (port, source labels, source namespace, gateways) applies. Destination
 * subnets are not matched.
 */
final class TcpRoutes {
  private final MeshSnapshot mesh;
  private final Map<String, String> proxyLabels;
  private final String proxyNamespace;
  private final Set<String> gateways;

  TcpRoutes(MeshSnapshot mesh, ProxyNode proxy, Set<String> gateways) {
    this.mesh = mesh;
    Workload w = mesh.workloads().get(proxy.ip());
    this.proxyLabels = w != null ? w.labels() : proxy.labels();
    this.proxyNamespace = proxy.namespace();
    this.gateways = gateways;
  }

  /**
   * The filter chain of the first TCP route of {@code vs} that applies on {@code port}, or null.
   */
  FilterChain tcp(ConfigEntry<VirtualService> vs, int port, String statPrefix) {
    if (vs == null || vs.spec().getTcp() == null) {
      return null;
    }
    for (TCPRoute r : vs.spec().getTcp()) {
      boolean applies =
          r.getMatch() == null
              || r.getMatch().isEmpty()
              || r.getMatch().stream()
                  .anyMatch(
                      m ->
                          applies(
                              vs.namespace(),
                              m.getPort(),
                              m.getSourceLabels(),
                              m.getSourceNamespace(),
                              m.getGateways(),
                              port));
      if (applies && r.getRoute() != null && !r.getRoute().isEmpty()) {
        return FilterChain.newBuilder()
            .addFilters(proxy(vs, r.getRoute(), port, statPrefix))
            .build();
      }
    }
    return null;
  }

  /**
   * One filter chain per TLS route match that applies on {@code port}, matching its SNI hosts;
   * {@code sniAllowed} narrows the hosts (a gateway server exposes only its own).
   */
  List<FilterChain> tls(ConfigEntry<VirtualService> vs, int port, Predicate<String> sniAllowed) {
    List<FilterChain> out = new ArrayList<>();
    if (vs == null || vs.spec().getTls() == null) {
      return out;
    }
    for (TLSRoute r : vs.spec().getTls()) {
      if (r.getRoute() == null || r.getRoute().isEmpty() || r.getMatch() == null) {
        continue;
      }
      for (TLSMatchAttributes m : r.getMatch()) {
        if (!applies(
            vs.namespace(),
            m.getPort(),
            m.getSourceLabels(),
            m.getSourceNamespace(),
            m.getGateways(),
            port)) {
          continue;
        }
        List<String> sni =
            m.getSniHosts() == null
                ? List.of()
                : m.getSniHosts().stream().filter(sniAllowed).sorted().toList();
        if (sni.isEmpty()) {
          continue;
        }
        String stat = Names.outboundCluster(port, null, sni.get(0));
        out.add(
            FilterChain.newBuilder()
                .setFilterChainMatch(FilterChainMatch.newBuilder().addAllServerNames(sni))
                .addFilters(proxy(vs, r.getRoute(), port, stat))
                .build());
      }
    }
    return out;
  }

  private boolean applies(
      String vsNamespace,
      Long matchPort,
      Map<String, String> sourceLabels,
      String sourceNamespace,
      List<String> matchGateways,
      int port) {
    if (matchPort != null && matchPort != 0 && matchPort != port) {
      return false;
    }
    if (matchGateways != null && !matchGateways.isEmpty()) {
      return matchGateways.stream()
          .anyMatch(
              g ->
                  gateways.contains(
                      g.equals("mesh") || g.contains("/") ? g : vsNamespace + "/" + g));
    }
    if (sourceLabels != null
        && !sourceLabels.entrySet().stream()
            .allMatch(e -> e.getValue().equals(proxyLabels.get(e.getKey())))) {
      return false;
    }
    return sourceNamespace == null
        || sourceNamespace.isEmpty()
        || sourceNamespace.equals(proxyNamespace);
  }

  private Filter proxy(
      ConfigEntry<VirtualService> vs, List<RouteDestination> dests, int port, String statPrefix) {
    List<RouteDestination> weighted =
        dests.size() == 1
            ? dests
            : dests.stream().filter(d -> d.getWeight() != null && d.getWeight() > 0).toList();
    TcpProxy.Builder t = TcpProxy.newBuilder();
    if (weighted.size() == 1) {
      String cluster =
          RouteTranslator.destinationCluster(
              mesh, vs.namespace(), weighted.get(0).getDestination(), port);
      t.setStatPrefix(cluster).setCluster(cluster);
    } else {
      TcpProxy.WeightedCluster.Builder w = TcpProxy.WeightedCluster.newBuilder();
      for (RouteDestination d : weighted) {
        w.addClusters(
            TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                .setName(
                    RouteTranslator.destinationCluster(
                        mesh, vs.namespace(), d.getDestination(), port))
                .setWeight(d.getWeight()));
      }
      t.setStatPrefix(statPrefix).setWeightedClusters(w);
    }
    return ListenerGenerator.filter(ListenerGenerator.TCP_PROXY, t.build());
  }

  /**
   * Adds SNI filter chains to a listener, each server name to the first chain claiming it: Envoy
   * rejects a listener where two chains match the same name (the older VirtualService wins).
   */
  static void addClaimingSni(
      io.envoyproxy.envoy.config.listener.v3.Listener.Builder l, List<FilterChain> chains) {
    java.util.Set<String> claimed = new java.util.HashSet<>();
    for (FilterChain existing : l.getFilterChainsList()) {
      claimed.addAll(existing.getFilterChainMatch().getServerNamesList());
    }
    for (FilterChain fc : chains) {
      List<String> names =
          fc.getFilterChainMatch().getServerNamesList().stream()
              .filter(n -> !claimed.contains(n))
              .toList();
      if (names.isEmpty()) {
        continue;
      }
      claimed.addAll(names);
      l.addFilterChains(
          fc.toBuilder()
              .setFilterChainMatch(
                  fc.getFilterChainMatch().toBuilder()
                      .clearServerNames()
                      .addAllServerNames(names)));
    }
  }
}
