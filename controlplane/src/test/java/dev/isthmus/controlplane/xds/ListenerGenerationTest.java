package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.assertIstioSds;
import static dev.isthmus.controlplane.xds.Generated.generate;
import static dev.isthmus.controlplane.xds.Generated.hcm;
import static dev.isthmus.controlplane.xds.Generated.listener;
import static dev.isthmus.controlplane.xds.Generated.routes;
import static dev.isthmus.controlplane.xds.Generated.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.PeerAuthenticationBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** LDS for sidecars, gateways and proxyless gRPC. */
class ListenerGenerationTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";

  static ClusterState with(
      List<VirtualService> vs,
      List<Gateway> gws,
      List<PeerAuthentication> pas,
      boolean gatewayPod) {
    ClusterState s = gatewayPod ? Fixtures.withIngressPod(Fixtures.reviews()) : Fixtures.reviews();
    return s.withVirtualServices(vs).withGateways(gws).withPeerAuthentications(pas);
  }

  @Test
  void sidecarGetsCaptureListenersAndOutboundPortListeners() throws Exception {
    ProxyResources r =
        generate(
            with(List.of(), List.of(), List.of(), false),
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
                    .withMetadata(Fixtures.meta("default", "default"))
                    .withNewSpec()
                    .withNewOutboundTrafficPolicy()
                    .withMode(
                        io.fabric8.istio.api.api.networking.v1alpha3.OutboundTrafficPolicyMode
                            .REGISTRY_ONLY)
                    .endOutboundTrafficPolicy()
                    .endSpec()
                    .build()));
    ProxyResources r = generate(s, Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    assertThat(tcp(listener(r, Names.VIRTUAL_OUTBOUND), 0).getCluster()).isEqualTo(Names.BLACKHOLE);
    assertThat(routes(r, "9080").getVirtualHostsList())
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
            .withMetadata(Fixtures.meta("istio-system", "default"))
            .withNewSpec()
            .withNewMtls()
            .withMode(PeerAuthenticationMutualTLSMode.STRICT)
            .endMtls()
            .endSpec()
            .build();
    ProxyResources r =
        generate(
            with(List.of(), List.of(), List.of(strict), false),
            Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    FilterChain inbound = listener(r, Names.VIRTUAL_INBOUND).getFilterChains(0);
    DownstreamTlsContext tls =
        inbound.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
    assertIstioSds(tls.getCommonTlsContext());
  }

  @Test
  void proxylessGetsApiListenersPointingAtRds() throws Exception {
    ProxyResources r =
        generate(with(List.of(), List.of(), List.of(), false), Fixtures.proxyless("default"));

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
    ServerTLSSettings simpleTls = Fixtures.tls(ServerTLSSettingsTLSmode.SIMPLE, "bookinfo-cert");
    ServerTLSSettings mutualTls = Fixtures.tls(ServerTLSSettingsTLSmode.MUTUAL, "secure-cert");
    ServerTLSSettings passTls = Fixtures.tls(ServerTLSSettingsTLSmode.PASSTHROUGH, null);
    Gateway gw =
        Fixtures.ingressGateway(
            Fixtures.server(80, "http", "HTTP", null, "bookinfo.example.com"),
            Fixtures.server(443, "https", "HTTPS", simpleTls, "bookinfo.example.com"),
            Fixtures.server(8443, "mtls", "HTTPS", mutualTls, "secure.example.com"),
            Fixtures.server(15443, "tls", "TLS", passTls, "*.pass.example.com"));
    VirtualService vs =
        Fixtures.virtualService("bookinfo", "bookinfo.example.com")
            .editSpec()
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
        Fixtures.virtualService("pass", "a.pass.example.com")
            .editSpec()
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
        generate(
            with(List.of(vs, passthrough), List.of(gw), List.of(), true), Fixtures.ingressRouter());

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
    assertThat(tcp(listener(r, "0.0.0.0_15443"), 0).getCluster())
        .isEqualTo("outbound|9080||" + REVIEWS);
    assertThat(listener(r, "0.0.0.0_15443").getListenerFilters(0).getName())
        .isEqualTo("envoy.filters.listener.tls_inspector");

    RouteConfiguration http80 = routes(r, "http.80");
    assertThat(http80.getVirtualHosts(0).getDomainsList()).contains("bookinfo.example.com");
    assertThat(http80.getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
        .isEqualTo("outbound|9080||productpage.default.svc.cluster.local");
    assertThat(r.messages(Resources.V3.ROUTE_TYPE_URL))
        .containsKey("https.443.https.gw.istio-system");
  }
}
