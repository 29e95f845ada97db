package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.model.ServicePort;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code InboundListenerGenerator} builds a sidecar's {@code virtualInbound} listener (port 15006)
 * with filter chains per workload port chosen by the effective PeerAuthentication mode, as in
 * Istio: {@code STRICT} accepts only TLS (transport protocol {@code tls}, Istio mutual TLS with a
 * required client certificate); {@code PERMISSIVE} adds to an mTLS chain restricted to Istio's ALPN
 * values a plaintext chain ({@code raw_buffer}) and, for TCP ports, a chain passing the
 * application's own TLS through; {@code DISABLE} accepts only plaintext (HTTP) or anything (TCP)
 * without terminating TLS. Unknown ports fall through to a passthrough catch-all that follows the
 * workload-wide mode, or the port-level mode of the workload's policy for that port.
 */
final class InboundListenerGenerator {
  /** ALPN values Istio clients send over mutual TLS. */
  static final List<String> ISTIO_MTLS_ALPNS =
      List.of("istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2");

  static final String TLS = "tls";
  static final String RAW_BUFFER = "raw_buffer";

  private final ConfigLookup lookup;

  InboundListenerGenerator(ConfigLookup lookup) {
    this.lookup = lookup;
  }

  Listener generate(ProxyNode proxy) {
    PeerAuthentications pa = new PeerAuthentications(lookup.mesh(), proxy);
    Listener.Builder l =
        Listener.newBuilder()
            .setName(Names.VIRTUAL_INBOUND)
            .setAddress(ListenerGenerator.address("0.0.0.0", 15006))
            .setUseOriginalDst(BoolValue.of(true))
            .addListenerFilters(
                ListenerFilter.newBuilder()
                    .setName("envoy.filters.listener.original_dst")
                    .setTypedConfig(Any.pack(OriginalDst.getDefaultInstance())))
            .addListenerFilters(
                ListenerFilter.newBuilder()
                    .setName("envoy.filters.listener.tls_inspector")
                    .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
    SecurityFilters security = SecurityFilters.of(lookup.mesh(), proxy);
    java.util.Set<Integer> declared = new java.util.HashSet<>();
    for (ServicePort p : ClusterGenerator.inboundPorts(lookup, proxy)) {
      String cluster = Names.inboundCluster(p.targetPort());
      List<Filter> filters =
          p.protocol().isHttp()
              ? List.of(httpFilter(p, cluster, security))
              : withTcpSecurity(security, tcp(cluster, cluster));
      chains(l, cluster, p.targetPort(), p.protocol().isHttp(), pa.mode(p.targetPort()), filters);
      declared.add(p.targetPort());
    }
    String catchAll = Names.VIRTUAL_INBOUND + "-catchall-tcp";
    List<Filter> passthrough =
        withTcpSecurity(security, tcp("InboundPassthroughCluster", Names.PASSTHROUGH));
    // As Istio: a port-level mode for a port no Service declares applies to the passthrough.
    for (int port : pa.portLevelPorts()) {
      if (!declared.contains(port)) {
        chains(l, catchAll, port, false, pa.mode(port), passthrough);
      }
    }
    chains(l, catchAll, 0, false, pa.defaultMode(), passthrough);
    return l.build();
  }

  /** The network RBAC and ext_authz filters of the proxy's policies, then {@code terminal}. */
  private static List<Filter> withTcpSecurity(SecurityFilters security, Filter terminal) {
    List<Filter> out = new ArrayList<>(security.tcp());
    out.add(terminal);
    return out;
  }

  /** Adds the chains for one port ({@code 0}: any port) in the given mode. */
  private static void chains(
      Listener.Builder l,
      String name,
      int port,
      boolean http,
      PeerAuthentications.Mode mode,
      List<Filter> filter) {
    FilterChainMatch.Builder base = FilterChainMatch.newBuilder();
    if (port > 0) {
      base.setDestinationPort(UInt32Value.of(port));
    }
    switch (mode) {
      case STRICT ->
          l.addFilterChains(mtls(name, base.clone().setTransportProtocol(TLS), http, filter));
      case PERMISSIVE -> {
        l.addFilterChains(
            mtls(
                name,
                base.clone().setTransportProtocol(TLS).addAllApplicationProtocols(ISTIO_MTLS_ALPNS),
                http,
                filter));
        l.addFilterChains(chain(name, base.clone().setTransportProtocol(RAW_BUFFER), filter));
        if (!http) {
          l.addFilterChains(chain(name, base.clone().setTransportProtocol(TLS), filter));
        }
      }
      case DISABLE -> {
        if (http) {
          base.setTransportProtocol(RAW_BUFFER);
        }
        l.addFilterChains(chain(name, base, filter));
      }
    }
  }

  private static FilterChain.Builder chain(
      String name, FilterChainMatch.Builder m, List<Filter> f) {
    FilterChain.Builder fc = FilterChain.newBuilder().setName(name).addAllFilters(f);
    if (!m.build().equals(FilterChainMatch.getDefaultInstance())) {
      fc.setFilterChainMatch(m);
    }
    return fc;
  }

  private static FilterChain.Builder mtls(
      String name, FilterChainMatch.Builder m, boolean http, List<Filter> f) {
    var ctx =
        http
            ? TlsContexts.istioMutual(false, "h2", "http/1.1")
            : TlsContexts.istioMutual(false, "istio-peer-exchange", "h2", "http/1.1");
    return chain(name, m, f).setTransportSocket(TlsContexts.downstream(ctx, true));
  }

  private static Filter tcp(String statPrefix, String cluster) {
    return ListenerGenerator.tcpProxy(statPrefix, cluster);
  }

  private static Filter httpFilter(ServicePort p, String cluster, SecurityFilters security) {
    RouteConfiguration rc =
        RouteConfiguration.newBuilder()
            .setName(cluster)
            .addVirtualHosts(
                VirtualHost.newBuilder()
                    .setName("inbound|http|" + p.port())
                    .addDomains("*")
                    .addRoutes(
                        Route.newBuilder()
                            .setName("default")
                            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                            .setRoute(RouteAction.newBuilder().setCluster(cluster))))
            .build();
    var hcm = ListenerGenerator.hcm("inbound_0.0.0.0_" + p.targetPort(), false).setRouteConfig(rc);
    // authentication and authorization run before every other filter, as in Istio
    for (int i = security.http().size() - 1; i >= 0; i--) {
      hcm.addHttpFilters(0, security.http().get(i));
    }
    return ListenerGenerator.filter(ListenerGenerator.HCM, hcm.build());
  }
}
