package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.generate;
import static io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode.DISABLE;
import static io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode.STRICT;
import static io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode.UNSET;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
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
    var b = new PeerAuthenticationBuilder().withMetadata(Fixtures.meta(ns, name)).withNewSpec();
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

  static final PeerAuthentication MESH_STRICT =
      pa("istio-system", "default", null, STRICT, Map.of());

  static Stream<Arguments> modes() {
    String mtls = "tls|" + MTLS_ALPNS + "|mtls";
    String plain = "raw_buffer||plain";
    return Stream.of(
        Arguments.of("no policy: PERMISSIVE", List.of(), List.of(mtls, plain)),
        Arguments.of("mesh-wide STRICT", List.of(MESH_STRICT), List.of("tls||mtls")),
        Arguments.of(
            "namespace DISABLE overrides mesh STRICT",
            List.of(MESH_STRICT, pa("default", "default", null, DISABLE, Map.of())),
            List.of(plain)),
        Arguments.of(
            "workload UNSET inherits namespace STRICT",
            List.of(
                pa("default", "default", null, STRICT, Map.of()),
                pa("default", "pp", PRODUCTPAGE, UNSET, Map.of())),
            List.of("tls||mtls")),
        Arguments.of(
            "port-level DISABLE under workload STRICT",
            List.of(pa("default", "pp", PRODUCTPAGE, STRICT, Map.of("9080", DISABLE))),
            List.of(plain)),
        Arguments.of(
            "port-level setting of another port",
            List.of(pa("default", "pp", PRODUCTPAGE, STRICT, Map.of("8080", DISABLE))),
            List.of("tls||mtls")),
        Arguments.of(
            "selector of another workload is ignored",
            List.of(
                pa("default", "r", Map.of("app", "reviews"), DISABLE, Map.of()),
                pa("default", "default", null, STRICT, Map.of())),
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

  static Listener virtualInbound(ClusterState s) {
    return Generated.listener(
        generate(s, Fixtures.sidecar("10.1.0.9", "productpage", "default")), Names.VIRTUAL_INBOUND);
  }

  /** The inbound chains for {@code port}, each described by {@link #describe}. */
  static List<String> chains(Listener in, int port) throws Exception {
    List<String> chains = new ArrayList<>();
    for (FilterChain fc : in.getFilterChainsList()) {
      if (fc.getFilterChainMatch().getDestinationPort().getValue() == port) {
        chains.add(describe(fc));
      }
    }
    return chains;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modes")
  void inboundChainsFollowTheEffectiveMode(
      String name, List<PeerAuthentication> pas, List<String> expected) throws Exception {
    Listener in = virtualInbound(ListenerGenerationTest.with(List.of(), List.of(), pas, false));
    assertThat(in.getFilterChainsList())
        .filteredOn(fc -> fc.getFilterChainMatch().getDestinationPort().getValue() == 9080)
        .allSatisfy(fc -> assertThat(fc.getName()).isEqualTo("inbound|9080||"));
    assertThat(chains(in, 9080)).containsExactlyElementsOf(expected);
  }

  @org.junit.jupiter.api.Test
  void permissiveTcpPortAlsoPassesTheApplicationsOwnTlsThrough() throws Exception {
    var s = ListenerGenerationTest.with(List.of(), List.of(), List.of(), false);
    var services = new ArrayList<>(s.services());
    var tcp = Fixtures.service("default", "productpage-db", "tcp", 5432, 5432);
    tcp.getSpec().setSelector(PRODUCTPAGE);
    services.add(tcp);
    var state = s.withKubernetes(services, s.endpointSlices());
    Listener in = virtualInbound(state);
    assertThat(chains(in, 5432))
        .containsExactly("tls|" + MTLS_ALPNS + "|mtls", "raw_buffer||plain", "tls||plain");
    assertThat(in.getFilterChains(in.getFilterChainsCount() - 1).getName())
        .isEqualTo("virtualInbound-catchall-tcp");
  }
}
