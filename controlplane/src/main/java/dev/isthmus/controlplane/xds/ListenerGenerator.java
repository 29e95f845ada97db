package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.ServicePort;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
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
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthentication;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ListenerGenerator} builds LDS: for sidecars the {@code virtualOutbound} and {@code
 * virtualInbound} capture listeners and one {@code 0.0.0.0_<port>} listener per outbound HTTP port
 * (TCP ports get {@code <vip>_<port>} with a TCP proxy); for gateways one listener per Gateway
 * server port with TLS SIMPLE/MUTUAL/ISTIO_MUTUAL termination or SNI PASSTHROUGH; for proxyless
 * gRPC an API listener {@code <host>:<port>} per service port whose connection manager reads the
 * route configuration of the same name.
 */
final class ListenerGenerator {
  static final String HCM = "envoy.filters.network.http_connection_manager";
  static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
  static final String ROUTER = "envoy.filters.http.router";

  private final ConfigLookup lookup;

  ListenerGenerator(ConfigLookup lookup) {
    this.lookup = lookup;
  }

  List<Listener> generate(ProxyNode proxy) {
    return switch (proxy.type()) {
      case SIDECAR -> sidecar(proxy);
      case PROXYLESS_GRPC -> proxyless(proxy);
      case ROUTER -> gateway(proxy);
    };
  }

  private List<Listener> proxyless(ProxyNode proxy) {
    List<Listener> out = new ArrayList<>();
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
                    ApiListener.newBuilder().setApiListener(Any.pack(hcmRds(name, name))))
                .build());
      }
    }
    return out;
  }

  static HttpConnectionManager hcmRds(String statPrefix, String routeName) {
    return hcm(statPrefix)
        .setRds(
            Rds.newBuilder().setRouteConfigName(routeName).setConfigSource(ClusterGenerator.ads()))
        .build();
  }

  static HttpConnectionManager.Builder hcm(String statPrefix) {
    return HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix)
        .addHttpFilters(
            HttpFilter.newBuilder()
                .setName(RouteTranslator.FAULT_FILTER)
                .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())))
        .addHttpFilters(
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
    out.add(inbound(proxy));
    Map<Integer, ServicePort> httpPorts = new TreeMap<>();
    for (MeshService svc : lookup.visibleServices(proxy)) {
      for (ServicePort p : svc.ports()) {
        if (p.protocol().isHttp()) {
          httpPorts.putIfAbsent(p.port(), p);
        } else if (!svc.address().isEmpty() && !svc.hostname().contains("*")) {
          String name = svc.address() + "_" + p.port();
          out.add(
              Listener.newBuilder()
                  .setName(name)
                  .setAddress(address(svc.address(), p.port()))
                  .setBindToPort(BoolValue.of(false))
                  .addFilterChains(
                      FilterChain.newBuilder()
                          .addFilters(
                              tcpProxy(
                                  Names.outboundCluster(p.port(), null, svc.hostname()),
                                  Names.outboundCluster(p.port(), null, svc.hostname()))))
                  .build());
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
                          filter(HCM, hcmRds("outbound_0.0.0.0_" + port, Integer.toString(port)))))
              .build());
    }
    return out;
  }

  private Listener inbound(ProxyNode proxy) {
    boolean strict = strictMtls(proxy);
    Listener.Builder l =
        Listener.newBuilder()
            .setName(Names.VIRTUAL_INBOUND)
            .setAddress(address("0.0.0.0", 15006))
            .setUseOriginalDst(BoolValue.of(true))
            .addListenerFilters(
                ListenerFilter.newBuilder()
                    .setName("envoy.filters.listener.original_dst")
                    .setTypedConfig(Any.pack(OriginalDst.getDefaultInstance())))
            .addListenerFilters(
                ListenerFilter.newBuilder()
                    .setName("envoy.filters.listener.tls_inspector")
                    .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
    for (ServicePort p : ClusterGenerator.inboundPorts(lookup, proxy)) {
      String cluster = Names.inboundCluster(p.targetPort());
      FilterChain.Builder fc =
          FilterChain.newBuilder()
              .setName(cluster)
              .setFilterChainMatch(
                  FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(p.targetPort())));
      if (p.protocol().isHttp()) {
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
        fc.addFilters(
            filter(HCM, hcm("inbound_0.0.0.0_" + p.targetPort()).setRouteConfig(rc).build()));
      } else {
        fc.addFilters(tcpProxy(cluster, cluster));
      }
      if (strict) {
        fc.setTransportSocket(
            TlsContexts.downstream(
                TlsContexts.istioMutual(false, "istio-peer-exchange", "h2", "http/1.1"), true));
      }
      l.addFilterChains(fc);
    }
    l.addFilterChains(
        FilterChain.newBuilder()
            .setName(Names.VIRTUAL_INBOUND + "-catchall-tcp")
            .addFilters(tcpProxy("InboundPassthroughCluster", Names.PASSTHROUGH)));
    return l.build();
  }

  /** STRICT when the workload, namespace or root-namespace PeerAuthentication says so. */
  boolean strictMtls(ProxyNode proxy) {
    PeerAuthentication workload = null;
    PeerAuthentication namespace = null;
    PeerAuthentication root = null;
    for (ConfigEntry<PeerAuthentication> e : lookup.mesh().peerAuthentications()) {
      PeerAuthentication pa = e.spec();
      boolean hasSelector =
          pa.getSelector() != null
              && pa.getSelector().getMatchLabels() != null
              && !pa.getSelector().getMatchLabels().isEmpty();
      if (e.namespace().equals(proxy.namespace())) {
        if (hasSelector) {
          if (pa.getSelector().getMatchLabels().entrySet().stream()
                  .allMatch(x -> x.getValue().equals(proxy.labels().get(x.getKey())))
              && workload == null) {
            workload = pa;
          }
        } else if (namespace == null) {
          namespace = pa;
        }
      } else if (e.namespace().equals(lookup.mesh().rootNamespace())
          && !hasSelector
          && root == null) {
        root = pa;
      }
    }
    for (PeerAuthentication pa : new PeerAuthentication[] {workload, namespace, root}) {
      if (pa != null
          && pa.getMtls() != null
          && pa.getMtls().getMode() != null
          && pa.getMtls().getMode() != PeerAuthenticationMutualTLSMode.UNSET) {
        return pa.getMtls().getMode() == PeerAuthenticationMutualTLSMode.STRICT;
      }
    }
    return false;
  }

  private List<Listener> gateway(ProxyNode proxy) {
    Map<Integer, Listener.Builder> byPort = new TreeMap<>();
    for (GatewayServers.Bound b : GatewayServers.forProxy(lookup.mesh(), proxy)) {
      Server s = b.server();
      int port = s.getPort().getNumber().intValue();
      Listener.Builder l =
          byPort.computeIfAbsent(
              port,
              k -> Listener.newBuilder().setName("0.0.0.0_" + k).setAddress(address("0.0.0.0", k)));
      ServicePort.Protocol proto = GatewayServers.protocol(s);
      if (GatewayServers.isPlainHttp(s) && !GatewayServers.terminatesTls(s)) {
        if (l.getFilterChainsCount() == 0) {
          l.addFilterChains(
              FilterChain.newBuilder()
                  .addFilters(filter(HCM, hcmRds("outbound_0.0.0.0_" + port, "http." + port))));
        }
        continue;
      }
      ensureTlsInspector(l);
      FilterChainMatch.Builder match = FilterChainMatch.newBuilder();
      for (String h : GatewayServers.hosts(s)) {
        if (!h.equals("*")) {
          match.addServerNames(h);
        }
      }
      FilterChain.Builder fc = FilterChain.newBuilder().setFilterChainMatch(match);
      var tls = s.getTls();
      if (GatewayServers.terminatesTls(s)) {
        fc.setTransportSocket(downstreamTls(tls));
        if (proto == ServicePort.Protocol.HTTPS || proto.isHttp()) {
          String rdsName = httpsRouteName(b);
          fc.setName(rdsName).addFilters(filter(HCM, hcmRds("outbound_0.0.0.0_" + port, rdsName)));
        } else {
          fc.addFilters(tcpProxy(Names.BLACKHOLE, Names.BLACKHOLE));
        }
      } else {
        // PASSTHROUGH: forward by SNI to the matching TLS route of bound VirtualServices.
        String cluster = passthroughCluster(b, port);
        fc.addFilters(tcpProxy(cluster, cluster));
      }
      l.addFilterChains(fc);
    }
    List<Listener> out = new ArrayList<>();
    byPort.values().forEach(l -> out.add(l.build()));
    return out;
  }

  static String httpsRouteName(GatewayServers.Bound b) {
    Server s = b.server();
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

  private static void ensureTlsInspector(Listener.Builder l) {
    if (l.getListenerFiltersCount() == 0) {
      l.addListenerFilters(
          ListenerFilter.newBuilder()
              .setName("envoy.filters.listener.tls_inspector")
              .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
    }
  }

  private static io.envoyproxy.envoy.config.core.v3.TransportSocket downstreamTls(
      io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings tls) {
    ServerTLSSettingsTLSmode mode = tls.getMode();
    if (mode == ServerTLSSettingsTLSmode.ISTIO_MUTUAL) {
      return TlsContexts.downstream(TlsContexts.istioMutual(false, "h2", "http/1.1"), true);
    }
    var ctx =
        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.newBuilder()
            .addAlpnProtocols("h2")
            .addAlpnProtocols("http/1.1");
    String cred = tls.getCredentialName() != null ? tls.getCredentialName() : "";
    if (!cred.isEmpty()) {
      ctx.addTlsCertificateSdsSecretConfigs(TlsContexts.sds("kubernetes://" + cred));
    } else if (tls.getServerCertificate() != null) {
      ctx.addTlsCertificateSdsSecretConfigs(
          TlsContexts.sds("file-cert:" + tls.getServerCertificate() + "~" + tls.getPrivateKey()));
    }
    boolean mutual =
        mode == ServerTLSSettingsTLSmode.MUTUAL || mode == ServerTLSSettingsTLSmode.OPTIONAL_MUTUAL;
    if (mutual) {
      String ca =
          tls.getCaCertCredentialName() != null ? tls.getCaCertCredentialName() : cred + "-cacert";
      ctx.setCombinedValidationContext(
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext
              .CombinedCertificateValidationContext.newBuilder()
              .setDefaultValidationContext(
                  io.envoyproxy.envoy.extensions.transport_sockets.tls.v3
                      .CertificateValidationContext.getDefaultInstance())
              .setValidationContextSdsSecretConfig(TlsContexts.sds("kubernetes://" + ca)));
    }
    return TlsContexts.downstream(ctx.build(), mode == ServerTLSSettingsTLSmode.MUTUAL);
  }

  private String passthroughCluster(GatewayServers.Bound b, int port) {
    for (var vs : lookup.gatewayVirtualServices(b.key(), b.namespace())) {
      if (vs.spec().getTls() == null) {
        continue;
      }
      for (var tr : vs.spec().getTls()) {
        boolean sniOk =
            tr.getMatch() == null
                || tr.getMatch().stream()
                    .anyMatch(
                        m ->
                            m.getSniHosts() == null
                                || m.getSniHosts().stream()
                                    .anyMatch(h -> GatewayServers.hostAllowed(b.server(), h)));
        if (sniOk && tr.getRoute() != null && !tr.getRoute().isEmpty()) {
          var d = tr.getRoute().get(0).getDestination();
          return new RouteTranslator(lookup.mesh(), false).cluster(vs, d, port);
        }
      }
    }
    return Names.BLACKHOLE;
  }
}
