package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.ServicePort;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code ListenerGenerator} builds LDS: for sidecars the {@code virtualOutbound} capture listener,
 * the {@code virtualInbound} one ({@link InboundListenerGenerator}), one {@code 0.0.0.0_<port>}
 * listener per outbound HTTP port and one {@code <vip>_<port>} listener per TCP/TLS service port
 * whose TCP proxy follows the VirtualService's {@code tcp} or {@code tls} routes; for gateways see
 * {@link GatewayListenerGenerator}; for proxyless gRPC an API listener {@code <host>:<port>} per
 * service port whose connection manager reads the route configuration of the same name.
 */
final class ListenerGenerator {
  static final String HCM = "envoy.filters.network.http_connection_manager";
  static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
  static final String ROUTER = "envoy.filters.http.router";
  private static final Set<String> MESH = Set.of("mesh");

  private final ConfigLookup lookup;

  ListenerGenerator(ConfigLookup lookup) {
    this.lookup = lookup;
  }

  List<Listener> generate(ProxyNode proxy) {
    return switch (proxy.type()) {
      case SIDECAR -> sidecar(proxy);
      case PROXYLESS_GRPC -> proxyless(proxy);
      case ROUTER -> new GatewayListenerGenerator(lookup).generate(proxy);
    };
  }

  private List<Listener> proxyless(ProxyNode proxy) {
    List<Listener> out = new ArrayList<>(ProxylessServerListeners.generate(lookup, proxy));
    for (MeshService svc : lookup.visibleServices(proxy)) {
      if (svc.hostname().contains("*")) {
        continue;
      }
      for (ServicePort p : svc.ports()) {
        String name = svc.hostname() + ":" + p.port();
        out.add(
            Listener.newBuilder()
                .setName(name)
                .setApiListener(
                    ApiListener.newBuilder().setApiListener(Any.pack(hcmRds(name, name, false))))
                .build());
      }
    }
    return out;
  }

  static HttpConnectionManager hcmRds(String statPrefix, String routeName, boolean cors) {
    return hcm(statPrefix, cors)
        .setRds(
            Rds.newBuilder().setRouteConfigName(routeName).setConfigSource(ClusterGenerator.ads()))
        .build();
  }

  /**
   * A connection manager with Istio's filter order: fault, CORS (Envoy proxies only; grpc-xds
   * rejects filters it does not know), router.
   */
  static HttpConnectionManager.Builder hcm(String statPrefix, boolean cors) {
    HttpConnectionManager.Builder b =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(statPrefix)
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName(RoutePolicies.FAULT_FILTER)
                    .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())));
    if (cors) {
      b.addHttpFilters(
          HttpFilter.newBuilder()
              .setName(RoutePolicies.CORS_FILTER)
              .setTypedConfig(Any.pack(Cors.getDefaultInstance())));
    }
    return b.addHttpFilters(
        HttpFilter.newBuilder()
            .setName(ROUTER)
            .setTypedConfig(Any.pack(Router.getDefaultInstance())));
  }

  static Filter filter(String name, com.google.protobuf.Message config) {
    return Filter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  static Filter tcpProxy(String statPrefix, String cluster) {
    return filter(
        TCP_PROXY, TcpProxy.newBuilder().setStatPrefix(statPrefix).setCluster(cluster).build());
  }

  static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  static String httpsRouteName(GatewayServers.Bound b) {
    var s = b.server();
    String portName = s.getPort().getName() == null ? "" : s.getPort().getName();
    return "https."
        + s.getPort().getNumber()
        + "."
        + portName
        + "."
        + b.name()
        + "."
        + b.namespace();
  }

  private List<Listener> sidecar(ProxyNode proxy) {
    List<Listener> out = new ArrayList<>();
    out.add(
        Listener.newBuilder()
            .setName(Names.VIRTUAL_OUTBOUND)
            .setAddress(address("0.0.0.0", 15001))
            .setUseOriginalDst(BoolValue.of(true))
            .addFilterChains(
                FilterChain.newBuilder()
                    .setName(Names.VIRTUAL_OUTBOUND + "-catchall-tcp")
                    .addFilters(
                        lookup.registryOnly(proxy)
                            ? tcpProxy(Names.BLACKHOLE, Names.BLACKHOLE)
                            : tcpProxy(Names.PASSTHROUGH, Names.PASSTHROUGH)))
            .build());
    out.add(new InboundListenerGenerator(lookup).generate(proxy));
    Map<Integer, ServicePort> httpPorts = new TreeMap<>();
    TcpRoutes routes = new TcpRoutes(lookup.mesh(), proxy, MESH);
    for (MeshService svc : lookup.visibleServices(proxy)) {
      for (ServicePort p : svc.ports()) {
        if (p.protocol().isHttp()) {
          httpPorts.putIfAbsent(p.port(), p);
        } else if (!svc.address().isEmpty() && !svc.hostname().contains("*")) {
          out.add(tcpListener(routes, proxy, svc, p));
        }
      }
    }
    for (int port : httpPorts.keySet()) {
      String name = "0.0.0.0_" + port;
      out.add(
          Listener.newBuilder()
              .setName(name)
              .setAddress(address("0.0.0.0", port))
              .setBindToPort(BoolValue.of(false))
              .addFilterChains(
                  FilterChain.newBuilder()
                      .addFilters(
                          filter(
                              HCM,
                              hcmRds("outbound_0.0.0.0_" + port, Integer.toString(port), true))))
              .build());
    }
    return out;
  }

  /**
   * {@code <vip>_<port>} for a TCP or TLS service port. TLS/HTTPS ports get one chain per TLS route
   * matching SNI; TCP ports the first TCP route that applies; both fall back to the service's own
   * cluster.
   */
  private Listener tcpListener(TcpRoutes routes, ProxyNode proxy, MeshService svc, ServicePort p) {
    String own = Names.outboundCluster(p.port(), null, svc.hostname());
    List<ConfigEntry<VirtualService>> vss =
        lookup.meshVirtualServices(svc.hostname(), proxy.namespace());
    ConfigEntry<VirtualService> vs = vss.isEmpty() ? null : vss.get(0);
    Listener.Builder l =
        Listener.newBuilder()
            .setName(svc.address() + "_" + p.port())
            .setAddress(address(svc.address(), p.port()))
            .setBindToPort(BoolValue.of(false));
    boolean tls =
        p.protocol() == ServicePort.Protocol.TLS || p.protocol() == ServicePort.Protocol.HTTPS;
    if (tls) {
      List<FilterChain> sni = routes.tls(vs, p.port(), h -> true);
      if (!sni.isEmpty()) {
        l.addListenerFilters(
            ListenerFilter.newBuilder()
                .setName("envoy.filters.listener.tls_inspector")
                .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
        TcpRoutes.addClaimingSni(l, sni);
      }
    } else {
      FilterChain routed = routes.tcp(vs, p.port(), svc.hostname());
      if (routed != null) {
        return l.addFilterChains(routed).build();
      }
    }
    return l.addFilterChains(FilterChain.newBuilder().addFilters(tcpProxy(own, own))).build();
  }
}
