package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.ServicePort;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code GatewayListenerGenerator} builds a gateway's listeners, one {@code 0.0.0.0_<port>} per
 * Gateway server port: plain HTTP servers share one connection manager reading {@code http.<port>};
 * servers terminating TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL) get a filter chain per
 * server matching its hosts by SNI; PASSTHROUGH servers get one chain per TLS route match of the
 * bound VirtualServices (SNI hosts the server exposes) forwarding the connection unterminated; TCP
 * servers forward by the first applying TCP route.
 */
final class GatewayListenerGenerator {
  private final ConfigLookup lookup;

  GatewayListenerGenerator(ConfigLookup lookup) {
    this.lookup = lookup;
  }

  List<Listener> generate(ProxyNode proxy) {
    Map<Integer, Listener.Builder> byPort = new TreeMap<>();
    for (GatewayServers.Bound b : GatewayServers.forProxy(lookup.mesh(), proxy)) {
      Server s = b.server();
      int port = s.getPort().getNumber().intValue();
      Listener.Builder l =
          byPort.computeIfAbsent(
              port,
              k ->
                  Listener.newBuilder()
                      .setName("0.0.0.0_" + k)
                      .setAddress(ListenerGenerator.address("0.0.0.0", k)));
      ServicePort.Protocol proto = GatewayServers.protocol(s);
      boolean terminates = GatewayServers.terminatesTls(s);
      if (GatewayServers.isPlainHttp(s) && !terminates) {
        if (l.getFilterChainsCount() == 0) {
          l.addFilterChains(
              FilterChain.newBuilder()
                  .addFilters(
                      ListenerGenerator.filter(
                          ListenerGenerator.HCM,
                          ListenerGenerator.hcmRds(
                              "outbound_0.0.0.0_" + port, "http." + port, true))));
        }
        continue;
      }
      TcpRoutes routes = new TcpRoutes(lookup.mesh(), proxy, Set.of(b.key()));
      if (s.getTls() == null) {
        // Opaque TCP: the first TCP route of a bound VirtualService that applies.
        for (ConfigEntry<VirtualService> vs : boundVirtualServices(b)) {
          FilterChain fc = routes.tcp(vs, port, "outbound_0.0.0.0_" + port);
          if (fc != null) {
            l.addFilterChains(fc);
            break;
          }
        }
        continue;
      }
      ensureTlsInspector(l);
      if (terminates) {
        FilterChainMatch.Builder match = FilterChainMatch.newBuilder();
        for (String h : GatewayServers.hosts(s)) {
          if (!h.equals("*")) {
            match.addServerNames(h);
          }
        }
        FilterChain.Builder fc =
            FilterChain.newBuilder()
                .setFilterChainMatch(match)
                .setTransportSocket(downstreamTls(s.getTls()));
        if (proto == ServicePort.Protocol.HTTPS || proto.isHttp()) {
          String rdsName = ListenerGenerator.httpsRouteName(b);
          fc.setName(rdsName)
              .addFilters(
                  ListenerGenerator.filter(
                      ListenerGenerator.HCM,
                      ListenerGenerator.hcmRds("outbound_0.0.0.0_" + port, rdsName, true)));
        } else {
          // TLS terminated, then TCP routes of the bound VirtualServices.
          FilterChain routed = null;
          for (ConfigEntry<VirtualService> vs : boundVirtualServices(b)) {
            routed = routes.tcp(vs, port, "outbound_0.0.0.0_" + port);
            if (routed != null) {
              break;
            }
          }
          fc.addAllFilters(
              routed != null
                  ? routed.getFiltersList()
                  : List.of(ListenerGenerator.tcpProxy(Names.BLACKHOLE, Names.BLACKHOLE)));
        }
        l.addFilterChains(fc);
      } else {
        // PASSTHROUGH: route by SNI without terminating TLS.
        for (ConfigEntry<VirtualService> vs : boundVirtualServices(b)) {
          TcpRoutes.addClaimingSni(l, routes.tls(vs, port, h -> GatewayServers.hostAllowed(s, h)));
        }
      }
    }
    List<Listener> out = new ArrayList<>();
    SecurityFilters security = SecurityFilters.of(lookup.mesh(), proxy);
    // A listener without filter chains is rejected by Envoy; Istio leaves such ports out.
    for (Listener.Builder l : byPort.values()) {
      if (l.getFilterChainsCount() == 0) {
        continue;
      }
      for (int i = 0; i < l.getFilterChainsCount(); i++) {
        l.setFilterChains(i, security.applyTo(l.getFilterChains(i)));
      }
      out.add(l.build());
    }
    return out;
  }

  private List<ConfigEntry<VirtualService>> boundVirtualServices(GatewayServers.Bound b) {
    List<ConfigEntry<VirtualService>> out = new ArrayList<>();
    for (ConfigEntry<VirtualService> vs : lookup.gatewayVirtualServices(b.key(), b.namespace())) {
      if (vs.spec().getHosts().stream().anyMatch(h -> GatewayServers.hostAllowed(b.server(), h))) {
        out.add(vs);
      }
    }
    return out;
  }

  private static void ensureTlsInspector(Listener.Builder l) {
    if (l.getListenerFiltersCount() == 0) {
      l.addListenerFilters(
          ListenerFilter.newBuilder()
              .setName("envoy.filters.listener.tls_inspector")
              .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
    }
  }

  private static TransportSocket downstreamTls(ServerTLSSettings tls) {
    ServerTLSSettingsTLSmode mode = tls.getMode();
    if (mode == ServerTLSSettingsTLSmode.ISTIO_MUTUAL) {
      return TlsContexts.downstream(TlsContexts.istioMutual(false, "h2", "http/1.1"), true);
    }
    CommonTlsContext.Builder ctx =
        CommonTlsContext.newBuilder().addAlpnProtocols("h2").addAlpnProtocols("http/1.1");
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
          CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
              .setDefaultValidationContext(CertificateValidationContext.getDefaultInstance())
              .setValidationContextSdsSecretConfig(TlsContexts.sds("kubernetes://" + ca)));
    }
    return TlsContexts.downstream(ctx.build(), mode == ServerTLSSettingsTLSmode.MUTUAL);
  }
}
