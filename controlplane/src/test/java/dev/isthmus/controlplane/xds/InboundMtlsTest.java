package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLS;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.PeerAuthenticationBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code virtualInbound} filter chains for each effective PeerAuthentication mode. */
class InboundMtlsTest {
  static final String MTLS_ALPNS =
      "istio,istio-peer-exchange,istio-http/1.0,istio-http/1.1,istio-h2";

  static PeerAuthentication pa(
      String ns,
      String name,
      Map<String, String> selector,
      PeerAuthenticationMutualTLSMode mode,
      Map<String, PeerAuthenticationMutualTLSMode> ports) {
    var b =
        new PeerAuthenticationBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(name)
            .endMetadata()
            .withNewSpec();
    if (selector != null) {
      b = b.withNewSelector().withMatchLabels(selector).endSelector();
    }
    if (mode != null) {
      b = b.withMtls(new PeerAuthenticationMutualTLS(mode));
    }
    Map<String, PeerAuthenticationMutualTLS> portLevel = new java.util.TreeMap<>();
    ports.forEach((k, v) -> portLevel.put(k, new PeerAuthenticationMutualTLS(v)));
    return b.withPortLevelMtls(portLevel.isEmpty() ? null : portLevel).endSpec().build();
  }

  static final Map<String, String> PRODUCTPAGE = Map.of("app", "productpage");

  static Stream<Arguments> modes() {
    String mtls = "tls|" + MTLS_ALPNS + "|mtls";
    String plain = "raw_buffer||plain";
    return Stream.of(
        Arguments.of("no policy: PERMISSIVE", List.of(), List.of(mtls, plain)),
        Arguments.of(
            "mesh-wide STRICT",
            List.of(
                pa(
                    "istio-system",
                    "default",
                    null,
                    PeerAuthenticationMutualTLSMode.STRICT,
                    Map.of())),
            List.of("tls||mtls")),
        Arguments.of(
            "namespace DISABLE overrides mesh STRICT",
            List.of(
                pa(
                    "istio-system",
                    "default",
                    null,
                    PeerAuthenticationMutualTLSMode.STRICT,
                    Map.of()),
                pa("default", "default", null, PeerAuthenticationMutualTLSMode.DISABLE, Map.of())),
            List.of(plain)),
        Arguments.of(
            "workload UNSET inherits namespace STRICT",
            List.of(
                pa("default", "default", null, PeerAuthenticationMutualTLSMode.STRICT, Map.of()),
                pa("default", "pp", PRODUCTPAGE, PeerAuthenticationMutualTLSMode.UNSET, Map.of())),
            List.of("tls||mtls")),
        Arguments.of(
            "port-level DISABLE under workload STRICT",
            List.of(
                pa(
                    "default",
                    "pp",
                    PRODUCTPAGE,
                    PeerAuthenticationMutualTLSMode.STRICT,
                    Map.of("9080", PeerAuthenticationMutualTLSMode.DISABLE))),
            List.of(plain)),
        Arguments.of(
            "port-level setting of another port",
            List.of(
                pa(
                    "default",
                    "pp",
                    PRODUCTPAGE,
                    PeerAuthenticationMutualTLSMode.STRICT,
                    Map.of("8080", PeerAuthenticationMutualTLSMode.DISABLE))),
            List.of("tls||mtls")),
        Arguments.of(
            "selector of another workload is ignored",
            List.of(
                pa(
                    "default",
                    "r",
                    Map.of("app", "reviews"),
                    PeerAuthenticationMutualTLSMode.DISABLE,
                    Map.of()),
                pa("default", "default", null, PeerAuthenticationMutualTLSMode.STRICT, Map.of())),
            List.of("tls||mtls")));
  }

  static String describe(FilterChain fc) throws Exception {
    String mode = "plain";
    if (fc.hasTransportSocket()) {
      DownstreamTlsContext tls =
          fc.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
      assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
      assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
          .isEqualTo(Names.SDS_DEFAULT);
      mode = "mtls";
    }
    return fc.getFilterChainMatch().getTransportProtocol()
        + "|"
        + String.join(",", fc.getFilterChainMatch().getApplicationProtocolsList())
        + "|"
        + mode;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modes")
  void inboundChainsFollowTheEffectiveMode(
      String name, List<PeerAuthentication> pas, List<String> expected) throws Exception {
    ProxyResources r =
        ResourceGenerator.generate(
            Fixtures.build(ListenerGenerationTest.with(List.of(), List.of(), pas, false)),
            Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    Listener in = (Listener) r.messages(Resources.V3.LISTENER_TYPE_URL).get(Names.VIRTUAL_INBOUND);
    List<String> chains = new ArrayList<>();
    for (FilterChain fc : in.getFilterChainsList()) {
      if (fc.getFilterChainMatch().getDestinationPort().getValue() == 9080) {
        assertThat(fc.getName()).isEqualTo("inbound|9080||");
        chains.add(describe(fc));
      }
    }
    assertThat(chains).containsExactlyElementsOf(expected);
  }

  @org.junit.jupiter.api.Test
  void permissiveTcpPortAlsoPassesTheApplicationsOwnTlsThrough() throws Exception {
    var s = ListenerGenerationTest.with(List.of(), List.of(), List.of(), false);
    var services = new ArrayList<>(s.services());
    var tcp = Fixtures.service("default", "productpage-db", "tcp", 5432, 5432);
    tcp.getSpec().setSelector(PRODUCTPAGE);
    services.add(tcp);
    var state = s.withKubernetes(services, s.endpointSlices());
    ProxyResources r =
        ResourceGenerator.generate(
            Fixtures.build(state), Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    Listener in = (Listener) r.messages(Resources.V3.LISTENER_TYPE_URL).get(Names.VIRTUAL_INBOUND);
    List<String> chains = new ArrayList<>();
    for (FilterChain fc : in.getFilterChainsList()) {
      if (fc.getFilterChainMatch().getDestinationPort().getValue() == 5432) {
        chains.add(describe(fc));
      }
    }
    assertThat(chains)
        .containsExactly("tls|" + MTLS_ALPNS + "|mtls", "raw_buffer||plain", "tls||plain");
    assertThat(in.getFilterChains(in.getFilterChainsCount() - 1).getName())
        .isEqualTo("virtualInbound-catchall-tcp");
  }
}
