package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimple;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimpleLB;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSettingDistribute;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyBuilder;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** DestinationRule port-level settings and locality load balancing. */
class DestinationRulePolicyTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";
  static final ProxyNode PRODUCTPAGE =
      Fixtures.sidecar("10.1.0.9", "productpage", "default").withLocality("eu-west/zone-a/");
  static final ProxyNode REVIEWS_V1 =
      Fixtures.sidecar("10.1.0.1", "reviews-v1", "default").withLocality("eu-west/zone-a/");

  static LoadBalancerSettingsSimple simple(LoadBalancerSettingsSimpleLB lb) {
    return new LoadBalancerSettingsSimple(lb);
  }

  static DestinationRule rule(TrafficPolicy tp, TrafficPolicy v1, TrafficPolicy v2) {
    return Fixtures.reviewsRule(tp, Fixtures.version("v1", v1), Fixtures.version("v2", v2));
  }

  static MeshSnapshot mesh(DestinationRule dr) {
    return Fixtures.build(Fixtures.reviews().withDestinationRules(List.of(dr)));
  }

  static String describe(Cluster c) {
    return c.getLbPolicy()
        + "|"
        // "-": no connection limit (Istio's default, the largest unsigned value)
        + (c.hasCircuitBreakers()
                && c.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue() != -1
            ? c.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue()
            : "-")
        + "|"
        + (c.hasOutlierDetection() ? c.getOutlierDetection().getConsecutive5Xx().getValue() : "-");
  }

  static Stream<Arguments> portLevel() {
    TrafficPolicy top =
        new TrafficPolicyBuilder()
            .withNewLoadBalancer()
            .withLbPolicy(simple(LoadBalancerSettingsSimpleLB.LEAST_REQUEST))
            .endLoadBalancer()
            .withNewConnectionPool()
            .withNewTcp()
            .withMaxConnections(10)
            .endTcp()
            .endConnectionPool()
            .addNewPortLevelSetting()
            .withNewPort(9080L)
            .withNewLoadBalancer()
            .withLbPolicy(simple(LoadBalancerSettingsSimpleLB.RANDOM))
            .endLoadBalancer()
            .withNewOutlierDetection()
            .withConsecutive5xxErrors(3)
            .endOutlierDetection()
            .endPortLevelSetting()
            .build();
    TrafficPolicy otherPort =
        new TrafficPolicyBuilder(top)
            .withPortLevelSettings(
                top.getPortLevelSettings().get(0).toBuilder().withNewPort(8080L).build())
            .build();
    return Stream.of(
        Arguments.of("port-level replaces the top level", top, "", "RANDOM|-|3"),
        Arguments.of("subset policy over port-level", top, "v1", "RANDOM|5|3"),
        Arguments.of("subset port-level replaces everything", top, "v2", "LEAST_REQUEST|-|-"),
        Arguments.of("setting for another port", otherPort, "", "LEAST_REQUEST|10|-"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("portLevel")
  void portLevelSettingsApplyToTheirPortsCluster(
      String name, TrafficPolicy tp, String subset, String expected) {
    TrafficPolicy v1 =
        new TrafficPolicyBuilder()
            .withNewConnectionPool()
            .withNewTcp()
            .withMaxConnections(5)
            .endTcp()
            .endConnectionPool()
            .build();
    TrafficPolicy v2 =
        new TrafficPolicyBuilder()
            .addNewPortLevelSetting()
            .withNewPort(9080L)
            .withNewLoadBalancer()
            .withLbPolicy(simple(LoadBalancerSettingsSimpleLB.LEAST_REQUEST))
            .endLoadBalancer()
            .endPortLevelSetting()
            .build();
    ProxyResources r = ResourceGenerator.generate(mesh(rule(tp, v1, v2)), PRODUCTPAGE);
    assertThat(
            describe(
                Generated.cluster(
                    r, Names.outboundCluster(9080, subset.isEmpty() ? null : subset, REVIEWS))))
        .isEqualTo(expected);
  }

  static TrafficPolicyBuilder outlier() {
    return new TrafficPolicyBuilder()
        .withNewOutlierDetection()
        .withConsecutive5xxErrors(5)
        .endOutlierDetection();
  }

  static Stream<Arguments> locality() {
    return Stream.of(
        Arguments.of(
            "no outlier detection: a single priority",
            new TrafficPolicyBuilder().build(),
            PRODUCTPAGE,
            List.of("zone-a p0 w2 n2", "zone-b p0 w1 n1"),
            false,
            false),
        Arguments.of(
            "outlier detection: failover by zone",
            outlier().build(),
            PRODUCTPAGE,
            List.of("zone-a p0 w2 n2", "zone-b p1 w1 n1"),
            true,
            false),
        Arguments.of(
            "proxy in the other zone",
            outlier().build(),
            PRODUCTPAGE.withLocality("eu-west/zone-b/"),
            List.of("zone-a p1 w2 n2", "zone-b p0 w1 n1"),
            true,
            false),
        Arguments.of(
            "locality LB disabled",
            outlier()
                .withNewLoadBalancer()
                .withNewLocalityLbSetting()
                .withEnabled(false)
                .endLocalityLbSetting()
                .endLoadBalancer()
                .build(),
            PRODUCTPAGE,
            List.of("zone-a p0 w2 n2", "zone-b p0 w1 n1"),
            false,
            false),
        Arguments.of(
            "distribute weights",
            new TrafficPolicyBuilder()
                .withNewLoadBalancer()
                .withNewLocalityLbSetting()
                .withDistribute(
                    new LocalityLoadBalancerSettingDistribute(
                        "eu-west/zone-a/*",
                        Map.of("eu-west/zone-a/*", 80L, "eu-west/zone-b/*", 20L)))
                .endLocalityLbSetting()
                .endLoadBalancer()
                .build(),
            PRODUCTPAGE,
            List.of("zone-a p0 w80 n2", "zone-b p0 w20 n1"),
            true,
            true),
        Arguments.of(
            "distribute leaves unlisted localities empty",
            new TrafficPolicyBuilder()
                .withNewLoadBalancer()
                .withNewLocalityLbSetting()
                .withDistribute(
                    new LocalityLoadBalancerSettingDistribute(
                        "eu-west/*", Map.of("eu-west/zone-b/*", 100L)))
                .endLocalityLbSetting()
                .endLoadBalancer()
                .build(),
            PRODUCTPAGE,
            List.of("zone-a p0 w2 n0", "zone-b p0 w100 n1"),
            true,
            true),
        Arguments.of(
            "failoverPriority by label",
            outlier()
                .withNewLoadBalancer()
                .withNewLocalityLbSetting()
                .withFailoverPriority("version")
                .endLocalityLbSetting()
                .endLoadBalancer()
                .build(),
            REVIEWS_V1,
            List.of("zone-a p0 w1 n1", "zone-a p1 w1 n1", "zone-b p1 w1 n1"),
            true,
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("locality")
  void localityLoadBalancingSetsPrioritiesAndWeightsPerProxy(
      String name,
      TrafficPolicy tp,
      ProxyNode proxy,
      List<String> expected,
      boolean dependsOnLocality,
      boolean localityWeighted) {
    MeshSnapshot mesh = mesh(rule(tp, null, null));
    ProxyResources r = ResourceGenerator.generate(mesh, proxy);
    String name0 = Names.outboundCluster(9080, null, REVIEWS);
    ClusterLoadAssignment cla = Generated.cla(r, name0);
    assertThat(cla.getEndpointsList())
        .extracting(
            e ->
                e.getLocality().getZone()
                    + " p"
                    + e.getPriority()
                    + " w"
                    + e.getLoadBalancingWeight().getValue()
                    + " n"
                    + e.getLbEndpointsCount())
        .containsExactlyElementsOf(expected);
    assertThat(new EndpointGenerator(new ConfigLookup(mesh)).dependsOnProxyLocality(proxy, name0))
        .isEqualTo(dependsOnLocality);
    assertThat(Generated.cluster(r, name0).getCommonLbConfig().hasLocalityWeightedLbConfig())
        .isEqualTo(localityWeighted);
  }
}
