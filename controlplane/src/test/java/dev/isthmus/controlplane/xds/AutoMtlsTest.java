package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.ClusterEndpointGenerationTest.PRODUCTPAGE;
import static dev.isthmus.controlplane.xds.ClusterEndpointGenerationTest.REVIEWS;
import static dev.isthmus.controlplane.xds.Generated.cla;
import static dev.isthmus.controlplane.xds.Generated.cluster;
import static dev.isthmus.controlplane.xds.Generated.generate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Istio's automatic mutual TLS: per endpoint, by whether its workload has a sidecar. */
class AutoMtlsTest {
  static final String CLUSTER = "outbound|9080||" + REVIEWS;

  /** reviews-v1 has a sidecar (the injected tlsMode label), reviews-v2 has none. */
  static ClusterState withSidecarOnV1() {
    ClusterState s = Fixtures.reviews();
    List<Pod> pods = new ArrayList<>();
    for (Pod p : s.pods()) {
      if (p.getMetadata().getName().equals("reviews-v1")) {
        Map<String, String> labels = new HashMap<>(p.getMetadata().getLabels());
        labels.put("security.istio.io/tlsMode", "istio");
        p = Fixtures.pod("default", "reviews-v1", "10.1.0.1", labels);
      }
      pods.add(p);
    }
    return s.withPods(pods);
  }

  @Test
  void clustersWithoutTlsSettingsMatchTheTransportSocketPerEndpoint() throws Exception {
    ProxyResources r = generate(withSidecarOnV1(), PRODUCTPAGE);
    Cluster c = cluster(r, CLUSTER);
    assertThat(c.hasTransportSocket()).isFalse();
    assertThat(c.getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly("tlsMode-istio", "tlsMode-disabled");
    Cluster.TransportSocketMatch istio = c.getTransportSocketMatches(0);
    assertThat(istio.getMatch().getFieldsOrThrow("tlsMode").getStringValue()).isEqualTo("istio");
    UpstreamTlsContext tls =
        istio.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("outbound_.9080_._." + REVIEWS);
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList())
        .containsExactly("istio-peer-exchange", "istio");
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("default");
    assertThat(c.getTransportSocketMatches(1).getMatch().getFieldsCount()).isZero();
    assertThat(c.getTransportSocketMatches(1).getTransportSocket().getName())
        .isEqualTo("envoy.transport_sockets.raw_buffer");

    Map<String, LbEndpoint> byIp = new HashMap<>();
    cla(r, CLUSTER)
        .getEndpointsList()
        .forEach(
            l ->
                l.getLbEndpointsList()
                    .forEach(
                        e ->
                            byIp.put(
                                e.getEndpoint().getAddress().getSocketAddress().getAddress(), e)));
    assertThat(
            byIp.get("10.1.0.1")
                .getMetadata()
                .getFilterMetadataOrThrow("envoy.transport_socket_match")
                .getFieldsOrThrow("tlsMode")
                .getStringValue())
        .isEqualTo("istio");
    assertThat(byIp.get("10.1.0.2").hasMetadata()).as("no sidecar: plaintext").isFalse();
  }

  @Test
  void anExplicitTlsModeTurnsItOff() {
    for (ClientTLSSettingsTLSmode mode :
        List.of(ClientTLSSettingsTLSmode.DISABLE, ClientTLSSettingsTLSmode.ISTIO_MUTUAL)) {
      var dr =
          Fixtures.reviewsRule(
              new TrafficPolicyBuilder().withNewTls().withMode(mode).endTls().build());
      Cluster c =
          cluster(
              generate(withSidecarOnV1().withDestinationRules(List.of(dr)), PRODUCTPAGE), CLUSTER);
      assertThat(c.getTransportSocketMatchesList()).as(mode.name()).isEmpty();
      assertThat(c.hasTransportSocket())
          .as(mode.name())
          .isEqualTo(mode != ClientTLSSettingsTLSmode.DISABLE);
    }
  }

  @Test
  void proxylessGrpcClientsDoNotGetIt() {
    Cluster c = cluster(generate(withSidecarOnV1(), Fixtures.proxyless("default")), CLUSTER);
    assertThat(c.getTransportSocketMatchesList()).isEmpty();
  }
}
