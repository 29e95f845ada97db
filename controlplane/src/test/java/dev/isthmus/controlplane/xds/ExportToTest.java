package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.ClusterEndpointGenerationTest.REVIEWS;
import static dev.isthmus.controlplane.xds.ClusterEndpointGenerationTest.reviewsRule;
import static dev.isthmus.controlplane.xds.Generated.generate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.MeshService;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Istio's {@code exportTo} on Services, ServiceEntries, VirtualServices and DestinationRules. */
class ExportToTest {
  static final ProxyNode IN_DEFAULT = Fixtures.sidecar("10.1.0.9", "productpage", "default");
  static final ProxyNode IN_TEAM = Fixtures.sidecar("10.2.0.9", "client", "team");
  static final String CLUSTER = "outbound|9080||" + REVIEWS;

  @ParameterizedTest(name = "exportTo [{0}] from {1} to {2}: {3}")
  @CsvSource({
    "'', default, team, true",
    "*, default, team, true",
    "., default, default, true",
    "., default, team, false",
    "~, default, default, false",
    "team, default, team, true",
    "team, default, other, false",
    "other;team, default, team, true"
  })
  void exportToTable(String exportTo, String own, String to, boolean visible) {
    List<String> list = exportTo.isEmpty() ? List.of() : List.of(exportTo.split(";"));
    assertThat(MeshService.exported(list, own, to)).isEqualTo(visible);
  }

  @Test
  void aServiceExportedToItsOwnNamespaceIsInvisibleElsewhere() {
    ClusterState s = Fixtures.reviews();
    List<Service> services = new ArrayList<>();
    for (Service svc : s.services()) {
      if (svc.getMetadata().getName().equals("reviews")) {
        svc.getMetadata().setAnnotations(Map.of("networking.istio.io/exportTo", "."));
      }
      services.add(svc);
    }
    s = s.withServices(services);
    assertThat(clusters(generate(s, IN_DEFAULT))).contains(CLUSTER);
    assertThat(clusters(generate(s, IN_TEAM))).doesNotContain(CLUSTER);
  }

  @Test
  void aDestinationRuleExportedToItsNamespaceShapesOnlyThatNamespacesClusters() {
    var dr = reviewsRule();
    dr.getSpec().setExportTo(List.of("."));
    ClusterState s = Fixtures.reviews().withDestinationRules(List.of(dr));
    assertThat(clusters(generate(s, IN_DEFAULT))).contains("outbound|9080|v1|" + REVIEWS);
    assertThat(clusters(generate(s, IN_TEAM)))
        .contains(CLUSTER)
        .doesNotContain("outbound|9080|v1|" + REVIEWS);
  }

  @Test
  void aVirtualServiceRoutesOnlyWhereItIsExported() {
    var vs =
        Fixtures.virtualService("reviews", "reviews")
            .editSpec()
            .withExportTo(".")
            .addNewHttp()
            .withRoute(Fixtures.to("reviews", "v2"))
            .endHttp()
            .endSpec()
            .build();
    ClusterState s =
        Fixtures.reviews()
            .withDestinationRules(List.of(reviewsRule()))
            .withVirtualServices(List.of(vs));
    assertThat(routeClusters(generate(s, IN_DEFAULT))).contains("outbound|9080|v2|" + REVIEWS);
    assertThat(routeClusters(generate(s, IN_TEAM)))
        .doesNotContain("outbound|9080|v2|" + REVIEWS)
        .contains(CLUSTER);
  }

  private static List<String> clusters(ProxyResources r) {
    return r.messages(Resources.V3.CLUSTER_TYPE_URL).values().stream()
        .map(m -> ((Cluster) m).getName())
        .toList();
  }

  private static List<String> routeClusters(ProxyResources r) {
    List<String> out = new ArrayList<>();
    Generated.routes(r, "9080").getVirtualHostsList().stream()
        .filter(v -> v.getName().startsWith(REVIEWS))
        .forEach(v -> v.getRoutesList().forEach(rt -> out.add(rt.getRoute().getCluster())));
    return out;
  }
}
