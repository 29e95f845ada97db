package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.assertIstioSds;
import static dev.isthmus.controlplane.xds.Generated.cla;
import static dev.isthmus.controlplane.xds.Generated.cluster;
import static dev.isthmus.controlplane.xds.Generated.generate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimpleLB;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyBuilder;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.WorkloadEntryBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CDS and EDS generated from services, EndpointSlices, ServiceEntries and DestinationRules. */
class ClusterEndpointGenerationTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";
  static final ProxyNode PRODUCTPAGE = Fixtures.sidecar("10.1.0.9", "productpage", "default");

  @Test
  void kubernetesServiceBecomesEdsClusterWithLocalityWeightedEndpoints() {
    ProxyResources r = generate(Fixtures.reviews(), PRODUCTPAGE);

    Cluster c = cluster(r, "outbound|9080||" + REVIEWS);
    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(c.getEdsClusterConfig().getServiceName()).isEqualTo("outbound|9080||" + REVIEWS);
    assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(cluster(r, Names.BLACKHOLE).getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    assertThat(cluster(r, Names.PASSTHROUGH).getType())
        .isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
    Cluster inbound = cluster(r, "inbound|9080||");
    assertThat(inbound.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
    assertThat(inbound.getUpstreamBindConfig().getSourceAddress().getAddress())
        .isEqualTo("127.0.0.6");

    ClusterLoadAssignment cla = cla(r, "outbound|9080||" + REVIEWS);
    assertThat(cla.getEndpointsList()).hasSize(2);
    LocalityLbEndpoints zoneA = cla.getEndpoints(0);
    assertThat(zoneA.getLocality().getRegion()).isEqualTo("eu-west");
    assertThat(zoneA.getLocality().getZone()).isEqualTo("zone-a");
    assertThat(zoneA.getLoadBalancingWeight().getValue()).isEqualTo(2);
    assertThat(zoneA.getLbEndpointsList())
        .extracting(
            e -> e.getEndpoint().getAddress().getSocketAddress().getAddress(),
            LbEndpoint::getHealthStatus)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.1.0.1", HealthStatus.HEALTHY),
            org.assertj.core.groups.Tuple.tuple("10.1.0.3", HealthStatus.DRAINING));
    assertThat(zoneA.getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getPortValue())
        .isEqualTo(9080);
    LocalityLbEndpoints zoneB = cla.getEndpoints(1);
    assertThat(zoneB.getLocality().getZone()).isEqualTo("zone-b");
    assertThat(zoneB.getLoadBalancingWeight().getValue()).isEqualTo(1);
    assertThat(zoneB.getLbEndpointsList()).hasSize(1);
  }

  static DestinationRule reviewsRule() {
    return Fixtures.reviewsRule(
        new TrafficPolicyBuilder()
            .withNewLoadBalancer()
            .withLbPolicy(
                new io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimple(
                    LoadBalancerSettingsSimpleLB.LEAST_REQUEST))
            .endLoadBalancer()
            .withNewConnectionPool()
            .withNewTcp()
            .withMaxConnections(100)
            .withConnectTimeout("3s")
            .endTcp()
            .withNewHttp()
            .withHttp2MaxRequests(1000)
            .withHttp1MaxPendingRequests(10)
            .withMaxRetries(3)
            .endHttp()
            .endConnectionPool()
            .withNewOutlierDetection()
            .withConsecutive5xxErrors(7)
            .withInterval("5s")
            .withBaseEjectionTime("30s")
            .withMaxEjectionPercent(50)
            .endOutlierDetection()
            .withNewTls()
            .withMode(ClientTLSSettingsTLSmode.ISTIO_MUTUAL)
            .endTls()
            .build(),
        Fixtures.version("v1", null),
        Fixtures.version(
            "v2",
            new TrafficPolicyBuilder()
                .withNewLoadBalancer()
                .withLbPolicy(
                    new io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimple(
                        LoadBalancerSettingsSimpleLB.ROUND_ROBIN))
                .endLoadBalancer()
                .build()));
  }

  @Test
  void destinationRuleShapesClustersAndSubsets() throws Exception {
    ProxyResources r =
        generate(Fixtures.reviews().withDestinationRules(List.of(reviewsRule())), PRODUCTPAGE);

    Cluster base = cluster(r, "outbound|9080||" + REVIEWS);
    assertThat(base.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(base.getConnectTimeout().getSeconds()).isEqualTo(3);
    var t = base.getCircuitBreakers().getThresholds(0);
    assertThat(t.getMaxConnections().getValue()).isEqualTo(100);
    assertThat(t.getMaxRequests().getValue()).isEqualTo(1000);
    assertThat(t.getMaxPendingRequests().getValue()).isEqualTo(10);
    assertThat(t.getMaxRetries().getValue()).isEqualTo(3);
    assertThat(base.getOutlierDetection().getConsecutive5Xx().getValue()).isEqualTo(7);
    assertThat(base.getOutlierDetection().getInterval().getSeconds()).isEqualTo(5);
    assertThat(base.getOutlierDetection().getBaseEjectionTime().getSeconds()).isEqualTo(30);
    assertThat(base.getOutlierDetection().getMaxEjectionPercent().getValue()).isEqualTo(50);

    Cluster v1 = cluster(r, "outbound|9080|v1|" + REVIEWS);
    assertThat(v1.getEdsClusterConfig().getServiceName()).isEqualTo("outbound|9080|v1|" + REVIEWS);
    assertThat(v1.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    UpstreamTlsContext tls =
        v1.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("outbound_.9080_.v1_." + REVIEWS);
    assertIstioSds(tls.getCommonTlsContext());
    assertThat(
            tls.getCommonTlsContext()
                .getTlsCertificateSdsSecretConfigs(0)
                .getSdsConfig()
                .getApiConfigSource()
                .getGrpcServices(0)
                .getEnvoyGrpc()
                .getClusterName())
        .isEqualTo("sds-grpc");
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList())
        .containsExactly("istio-peer-exchange", "istio");
    assertThat(cluster(r, "outbound|9080|v2|" + REVIEWS).getLbPolicy())
        .isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);

    ClusterLoadAssignment v1Endpoints = cla(r, "outbound|9080|v1|" + REVIEWS);
    assertThat(v1Endpoints.getEndpointsList()).hasSize(1);
    assertThat(
            v1Endpoints
                .getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getAddress()
                .getSocketAddress()
                .getAddress())
        .isEqualTo("10.1.0.1");
  }

  @Test
  void proxylessClientsGetCertificateProvidersInsteadOfSds() throws Exception {
    ProxyResources r =
        generate(
            Fixtures.reviews().withDestinationRules(List.of(reviewsRule())),
            Fixtures.proxyless("default"));

    UpstreamTlsContext tls =
        cluster(r, "outbound|9080||" + REVIEWS)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(UpstreamTlsContext.class);
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsCount()).isZero();
    assertThat(tls.getCommonTlsContext().getTlsCertificateProviderInstance().getInstanceName())
        .isEqualTo("default");
    assertThat(
            tls.getCommonTlsContext()
                .getValidationContext()
                .getCaCertificateProviderInstance()
                .getCertificateName())
        .isEqualTo("ROOTCA");
    assertThat(r.messages(Resources.V3.CLUSTER_TYPE_URL))
        .doesNotContainKeys(Names.BLACKHOLE, "inbound|9080||");
  }

  @Test
  void invalidDestinationRuleIsSkippedWithFieldPath() {
    DestinationRule bad = reviewsRule();
    bad.getMetadata().setName("dup");
    bad.getSpec().getSubsets().get(1).setName("v1");
    ClusterState s = Fixtures.reviews().withDestinationRules(List.of(bad));
    MeshSnapshot mesh = Fixtures.build(s);

    assertThat(mesh.destinationRules()).isEmpty();
    assertThat(mesh.rejected())
        .containsEntry("DestinationRule default/dup", "spec.subsets[1].name: duplicate subset v1");
    ProxyResources r = ResourceGenerator.generate(mesh, PRODUCTPAGE);
    assertThat(r.messages(Resources.V3.CLUSTER_TYPE_URL))
        .containsKey("outbound|9080||" + REVIEWS)
        .doesNotContainKey("outbound|9080|v1|" + REVIEWS);
  }

  @Test
  void serviceEntryWithWorkloadEntriesGivesWeightedLocalityEndpoints() {
    ClusterState s =
        ClusterState.empty()
            .withServiceEntries(
                List.of(
                    Fixtures.apiServiceEntry(ServiceEntryResolution.STATIC)
                        .editSpec()
                        .withNewWorkloadSelector()
                        .withLabels(Map.of("app", "api"))
                        .endWorkloadSelector()
                        .endSpec()
                        .build()))
            .withWorkloadEntries(
                List.of(
                    new WorkloadEntryBuilder()
                        .withMetadata(Fixtures.meta("ext", "api-1"))
                        .withNewSpec()
                        .withAddress("10.2.0.1")
                        .withLabels(Map.of("app", "api"))
                        .withPorts(Map.of("https", 8443L))
                        .withWeight(3L)
                        .withLocality("us/zone1")
                        .endSpec()
                        .build(),
                    new WorkloadEntryBuilder()
                        .withMetadata(Fixtures.meta("ext", "other"))
                        .withNewSpec()
                        .withAddress("10.2.0.2")
                        .withLabels(Map.of("app", "other"))
                        .endSpec()
                        .build()));

    ProxyResources r = generate(s, PRODUCTPAGE);

    ClusterLoadAssignment cla = cla(r, "outbound|443||api.example.com");
    assertThat(cla.getEndpointsList()).hasSize(1);
    assertThat(cla.getEndpoints(0).getLocality().getRegion()).isEqualTo("us");
    assertThat(cla.getEndpoints(0).getLocality().getZone()).isEqualTo("zone1");
    assertThat(cla.getEndpoints(0).getLoadBalancingWeight().getValue()).isEqualTo(3);
    LbEndpoint ep = cla.getEndpoints(0).getLbEndpoints(0);
    assertThat(ep.getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("10.2.0.1");
    assertThat(ep.getEndpoint().getAddress().getSocketAddress().getPortValue()).isEqualTo(8443);
    assertThat(ep.getLoadBalancingWeight().getValue()).isEqualTo(3);
  }
}
