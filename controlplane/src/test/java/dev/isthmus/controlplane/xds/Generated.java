package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;

/**
 * What the generator made for one proxy, looked up by name: each lookup fails naming the resource
 * when it is missing, so a test reads as the resources it expects.
 */
final class Generated {
  private Generated() {}

  /** The resources generated for {@code proxy} from the mesh built of {@code s}. */
  static ProxyResources generate(ClusterState s, ProxyNode proxy) {
    return ResourceGenerator.generate(Fixtures.build(s), proxy);
  }

  static Listener listener(ProxyResources r, String name) {
    return named(r, Resources.V3.LISTENER_TYPE_URL, "listener", name, Listener.class);
  }

  static Cluster cluster(ProxyResources r, String name) {
    return named(r, Resources.V3.CLUSTER_TYPE_URL, "cluster", name, Cluster.class);
  }

  static ClusterLoadAssignment cla(ProxyResources r, String name) {
    return named(
        r, Resources.V3.ENDPOINT_TYPE_URL, "assignment", name, ClusterLoadAssignment.class);
  }

  static RouteConfiguration routes(ProxyResources r, String name) {
    return named(
        r, Resources.V3.ROUTE_TYPE_URL, "route configuration", name, RouteConfiguration.class);
  }

  /** The HTTP connection manager, the first filter of {@code fc}. */
  static HttpConnectionManager hcm(FilterChain fc) throws Exception {
    return fc.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  /** The tcp_proxy, the first filter of filter chain {@code chain} of {@code l}. */
  static TcpProxy tcp(Listener l, int chain) throws Exception {
    return l.getFilterChains(chain).getFilters(0).getTypedConfig().unpack(TcpProxy.class);
  }

  /** The workload certificate and the root come over SDS as {@code default} and {@code ROOTCA}. */
  static void assertIstioSds(CommonTlsContext tls) {
    assertThat(tls.getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");
    assertThat(tls.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName())
        .isEqualTo("ROOTCA");
  }

  private static <T> T named(
      ProxyResources r, String typeUrl, String what, String name, Class<T> type) {
    Object m = r.messages(typeUrl).get(name);
    assertThat(m).as(what + " " + name).isNotNull();
    return type.cast(m);
  }
}
