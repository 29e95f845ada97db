package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import dev.isthmus.controlplane.model.ServicePort;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.NonForwardingAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ProxylessServerListeners} are the server-side listeners of a proxyless gRPC workload, what
 * grpc-java's {@code XdsServerBuilder} asks for with Istio's bootstrap template {@code
 * xds.istio.io/grpc/lds/inbound/%s} ({@code %s} being {@code 0.0.0.0:<port>} or {@code
 * [::]:<port>}): one per port a Service of the workload targets, whose connection manager routes
 * every call to the server itself ({@code non_forwarding_action}) after the RBAC filters of the
 * AuthorizationPolicies that select the workload. Under a STRICT PeerAuthentication the port
 * requires mutual TLS with the mesh certificates (gRPC certificate providers); otherwise it is
 * plaintext.
 */
final class ProxylessServerListeners {
  static final String PREFIX = "xds.istio.io/grpc/lds/inbound/";

  private ProxylessServerListeners() {}

  static List<Listener> generate(ConfigLookup lookup, ProxyNode proxy) {
    List<ServicePort> ports = ClusterGenerator.inboundPorts(lookup, proxy);
    if (ports.isEmpty()) {
      return List.of();
    }
    List<HttpFilter> rbac = SecurityFilters.grpc(lookup.mesh(), proxy);
    PeerAuthentications pa = new PeerAuthentications(lookup.mesh(), proxy);
    List<Listener> out = new ArrayList<>();
    for (ServicePort p : ports) {
      int port = p.targetPort();
      FilterChain chain = chain(port, rbac, pa.mode(port));
      out.add(listener(PREFIX + "0.0.0.0:" + port, "0.0.0.0", port, chain));
      out.add(listener(PREFIX + "[::]:" + port, "::", port, chain));
    }
    return out;
  }

  private static Listener listener(String name, String ip, int port, FilterChain chain) {
    return Listener.newBuilder()
        .setName(name)
        .setAddress(ListenerGenerator.address(ip, port))
        .addFilterChains(chain)
        .build();
  }

  private static FilterChain chain(int port, List<HttpFilter> rbac, PeerAuthentications.Mode mode) {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("inbound_0.0.0.0_" + port)
            .setRouteConfig(
                RouteConfiguration.newBuilder()
                    .setName(Names.inboundCluster(port))
                    .addVirtualHosts(
                        VirtualHost.newBuilder()
                            .setName("inbound|http|" + port)
                            .addDomains("*")
                            .addRoutes(
                                Route.newBuilder()
                                    .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                    .setNonForwardingAction(
                                        NonForwardingAction.getDefaultInstance()))))
            .addAllHttpFilters(rbac)
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName(ListenerGenerator.ROUTER)
                    .setTypedConfig(Any.pack(Router.getDefaultInstance())))
            .build();
    FilterChain.Builder fc =
        FilterChain.newBuilder()
            .setName(Names.inboundCluster(port))
            .addFilters(ListenerGenerator.filter(ListenerGenerator.HCM, hcm));
    if (mode == PeerAuthentications.Mode.STRICT) {
      fc.setTransportSocket(TlsContexts.downstream(TlsContexts.istioMutual(true), true));
    }
    return fc.build();
  }
}
