package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.GatewayBuilder;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.PeerAuthenticationBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LDS for sidecars, gateways and proxyless gRPC. */
class ListenerGenerationTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";

  static ClusterState with(
      List<VirtualService> vs,
      List<Gateway> gws,
      List<PeerAuthentication> pas,
      boolean gatewayPod) {
    ClusterState s = Fixtures.reviews();
    List<io.fabric8.kubernetes.api.model.Pod> pods = new ArrayList<>(s.pods());
    if (gatewayPod) {
      pods.add(
          Fixtures.pod("istio-system", "ingress", "10.1.0.50", Map.of("istio", "ingressgateway")));
    }
    return s.withPods(pods).withVirtualServices(vs).withGateways(gws).withPeerAuthentications(pas);
  }

  static Listener listener(ProxyResources r, String name) {
    Listener l = (Listener) r.messages(Resources.V3.LISTENER_TYPE_URL).get(name);
    assertThat(l).as("listener " + name).isNotNull();
    return l;
  }

  static HttpConnectionManager hcm(FilterChain fc) throws Exception {
    return fc.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  @Test
  void sidecarGetsCaptureListenersAndOutboundPortListeners() throws Exception {
    ProxyResources r =
        ResourceGenerator.generate(
            Fixtures.build(with(List.of(), List.of(), List.of(), false)),
            Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    assertThat(r.messages(Resources.V3.LISTENER_TYPE_URL))
        .containsOnlyKeys(Names.VIRTUAL_OUTBOUND, Names.VIRTUAL_INBOUND, "0.0.0.0_9080");
    Listener out = listener(r, Names.VIRTUAL_OUTBOUND);
    assertThat(out.getAddress().getSocketAddress().getPortValue()).isEqualTo(15001);
    assertThat(out.getUseOriginalDst().getValue()).isTrue();
    Listener port = listener(r, "0.0.0.0_9080");
    assertThat(port.getBindToPort().getValue()).isFalse();
    HttpConnectionManager m = hcm(port.getFilterChains(0));
    assertThat(m.getRds().getRouteConfigName()).isEqualTo("9080");
    assertThat(m.getRds().getConfigSource().hasAds()).isTrue();
    Listener in = listener(r, Names.VIRTUAL_INBOUND);
    assertThat(in.getAddress().getSocketAddress().getPortValue()).isEqualTo(15006);
    // No PeerAuthentication: PERMISSIVE, an mTLS chain for Istio clients and a plaintext one.
    FilterChain mtls = in.getFilterChains(0);
    assertThat(mtls.getName()).isEqualTo("inbound|9080||");
    assertThat(mtls.getFilterChainMatch().getDestinationPort().getValue()).isEqualTo(9080);
    assertThat(mtls.getFilterChainMatch().getTransportProtocol()).isEqualTo("tls");
    assertThat(mtls.hasTransportSocket()).isTrue();
    FilterChain inbound = in.getFilterChains(1);
    assertThat(inbound.getName()).isEqualTo("inbound|9080||");
    assertThat(inbound.getFilterChainMatch().getDestinationPort().getValue()).isEqualTo(9080);
    assertThat(inbound.getFilterChainMatch().getTransportProtocol()).isEqualTo("raw_buffer");
    assertThat(inbound.hasTransportSocket()).isFalse();
    assertThat(
            hcm(inbound).getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
        .isEqualTo("inbound|9080||");
  }

  @Test
  void registryOnlySidecarSendsUnknownDestinationsToTheBlackHole() throws Exception {
    ClusterState base = with(List.of(), List.of(), List.of(), false);
    ClusterState s =
        base.withSidecars(
            List.of(
                new io.fabric8.istio.api.networking.v1.SidecarBuilder()
                    .withNewMetadata()
                    .withNamespace("default")
                    .withName("default")
                    .endMetadata()
                    .withNewSpec()
                    .withNewOutboundTrafficPolicy()
                    .withMode(
                        io.fabric8.istio.api.api.networking.v1alpha3.OutboundTrafficPolicyMode
                            .REGISTRY_ONLY)
                    .endOutboundTrafficPolicy()
                    .endSpec()
                    .build()));
    ProxyResources r =
        ResourceGenerator.generate(
            Fixtures.build(s), Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    var tcp =
        listener(r, Names.VIRTUAL_OUTBOUND)
            .getFilterChains(0)
            .getFilters(0)
            .getTypedConfig()
            .unpack(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
    assertThat(tcp.getCluster()).isEqualTo(Names.BLACKHOLE);
    RouteConfiguration rc =
        (RouteConfiguration) r.messages(Resources.V3.ROUTE_TYPE_URL).get("9080");
    assertThat(rc.getVirtualHostsList())
        .last()
        .satisfies(
            v -> {
              assertThat(v.getName()).isEqualTo("block_all");
              assertThat(v.getRoutes(0).getRoute().getCluster()).isEqualTo(Names.BLACKHOLE);
            });
  }

  @Test
  void strictPeerAuthenticationRequiresMutualTlsInbound() throws Exception {
    PeerAuthentication strict =
        new PeerAuthenticationBuilder()
            .withNewMetadata()
            .withNamespace("istio-system")
            .withName("default")
            .endMetadata()
            .withNewSpec()
            .withNewMtls()
            .withMode(PeerAuthenticationMutualTLSMode.STRICT)
            .endMtls()
            .endSpec()
            .build();
    ProxyResources r =
        ResourceGenerator.generate(
            Fixtures.build(with(List.of(), List.of(), List.of(strict), false)),
            Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    FilterChain inbound = listener(r, Names.VIRTUAL_INBOUND).getFilterChains(0);
    DownstreamTlsContext tls =
        inbound.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("default");
    assertThat(
            tls.getCommonTlsContext()
                .getCombinedValidationContext()
                .getValidationContextSdsSecretConfig()
                .getName())
        .isEqualTo("ROOTCA");
  }

  @Test
  void proxylessGetsApiListenersPointingAtRds() throws Exception {
    ProxyResources r =
        ResourceGenerator.generate(
            Fixtures.build(with(List.of(), List.of(), List.of(), false)),
            Fixtures.proxyless("default"));

    Listener l = listener(r, REVIEWS + ":9080");
    assertThat(l.hasAddress()).isFalse();
    HttpConnectionManager m =
        l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
    assertThat(m.getRds().getRouteConfigName()).isEqualTo(REVIEWS + ":9080");
    assertThat(m.getRds().getConfigSource().hasAds()).isTrue();
    assertThat(m.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
    assertThat(r.messages(Resources.V3.LISTENER_TYPE_URL)).doesNotContainKey(Names.VIRTUAL_INBOUND);
  }

  @Test
  void gatewayServersBecomeListenersWithTlsModesAndGatewayRoutes() throws Exception {
    Gateway gw =
        new GatewayBuilder()
            .withNewMetadata()
            .withNamespace("istio-system")
            .withName("gw")
            .endMetadata()
            .withNewSpec()
            .withSelector(Map.of("istio", "ingressgateway"))
            .addNewServer()
            .withNewPort()
            .withNumber(80L)
            .withName("http")
            .withProtocol("HTTP")
            .endPort()
            .withHosts("bookinfo.example.com")
            .endServer()
            .addNewServer()
            .withNewPort()
            .withNumber(443L)
            .withName("https")
            .withProtocol("HTTPS")
            .endPort()
            .withHosts("bookinfo.example.com")
            .withNewTls()
            .withMode(ServerTLSSettingsTLSmode.SIMPLE)
            .withCredentialName("bookinfo-cert")
            .endTls()
            .endServer()
            .addNewServer()
            .withNewPort()
            .withNumber(8443L)
            .withName("mtls")
            .withProtocol("HTTPS")
            .endPort()
            .withHosts("secure.example.com")
            .withNewTls()
            .withMode(ServerTLSSettingsTLSmode.MUTUAL)
            .withCredentialName("secure-cert")
            .endTls()
            .endServer()
            .addNewServer()
            .withNewPort()
            .withNumber(15443L)
            .withName("tls")
            .withProtocol("TLS")
            .endPort()
            .withHosts("*.pass.example.com")
            .withNewTls()
            .withMode(ServerTLSSettingsTLSmode.PASSTHROUGH)
            .endTls()
            .endServer()
            .endSpec()
            .build();
    VirtualService vs =
        new VirtualServiceBuilder()
            .withNewMetadata()
            .withNamespace("default")
            .withName("bookinfo")
            .endMetadata()
            .withNewSpec()
            .withHosts("bookinfo.example.com")
            .withGateways("istio-system/gw")
            .addNewHttp()
            .addNewRoute()
            .withNewDestination()
            .withHost("productpage")
            .withNewPort(9080L)
            .endDestination()
            .endRoute()
            .endHttp()
            .endSpec()
            .build();
    VirtualService passthrough =
        new VirtualServiceBuilder()
            .withNewMetadata()
            .withNamespace("default")
            .withName("pass")
            .endMetadata()
            .withNewSpec()
            .withHosts("a.pass.example.com")
            .withGateways("istio-system/gw")
            .addNewTl()
            .addNewMatch()
            .withSniHosts("a.pass.example.com")
            .endMatch()
            .addNewRoute()
            .withNewDestination()
            .withHost("reviews")
            .withNewPort(9080L)
            .endDestination()
            .endRoute()
            .endTl()
            .endSpec()
            .build();
    ProxyResources r =
        ResourceGenerator.generate(
            Fixtures.build(with(List.of(vs, passthrough), List.of(gw), List.of(), true)),
            Fixtures.sidecar("10.1.0.50", "ingress", "istio-system")
                .withType(ProxyNode.Type.ROUTER));

    assertThat(r.messages(Resources.V3.LISTENER_TYPE_URL))
        .containsOnlyKeys("0.0.0.0_80", "0.0.0.0_443", "0.0.0.0_8443", "0.0.0.0_15443");
    assertThat(hcm(listener(r, "0.0.0.0_80").getFilterChains(0)).getRds().getRouteConfigName())
        .isEqualTo("http.80");

    FilterChain https = listener(r, "0.0.0.0_443").getFilterChains(0);
    assertThat(https.getFilterChainMatch().getServerNamesList())
        .containsExactly("bookinfo.example.com");
    DownstreamTlsContext simple =
        https.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(simple.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("kubernetes://bookinfo-cert");
    assertThat(simple.getRequireClientCertificate().getValue()).isFalse();
    assertThat(hcm(https).getRds().getRouteConfigName())
        .isEqualTo("https.443.https.gw.istio-system");

    DownstreamTlsContext mutual =
        listener(r, "0.0.0.0_8443")
            .getFilterChains(0)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(DownstreamTlsContext.class);
    assertThat(mutual.getRequireClientCertificate().getValue()).isTrue();
    assertThat(
            mutual
                .getCommonTlsContext()
                .getCombinedValidationContext()
                .getValidationContextSdsSecretConfig()
                .getName())
        .isEqualTo("kubernetes://secure-cert-cacert");

    FilterChain pass = listener(r, "0.0.0.0_15443").getFilterChains(0);
    assertThat(pass.hasTransportSocket()).isFalse();
    assertThat(pass.getFilterChainMatch().getServerNamesList())
        .containsExactly("a.pass.example.com");
    assertThat(pass.getFilters(0).getTypedConfig().unpack(TcpProxy.class).getCluster())
        .isEqualTo("outbound|9080||" + REVIEWS);
    assertThat(listener(r, "0.0.0.0_15443").getListenerFilters(0).getName())
        .isEqualTo("envoy.filters.listener.tls_inspector");

    RouteConfiguration http80 =
        (RouteConfiguration) r.messages(Resources.V3.ROUTE_TYPE_URL).get("http.80");
    assertThat(http80.getVirtualHosts(0).getDomainsList()).contains("bookinfo.example.com");
    assertThat(http80.getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
        .isEqualTo("outbound|9080||productpage.default.svc.cluster.local");
    assertThat(r.messages(Resources.V3.ROUTE_TYPE_URL))
        .containsKey("https.443.https.gw.istio-system");
  }
}
