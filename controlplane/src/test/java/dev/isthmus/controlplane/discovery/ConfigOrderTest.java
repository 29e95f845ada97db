package dev.isthmus.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.model.ConfigEntry;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Conflicting configuration is taken in Istio's order: oldest first, then by name, then by
 * namespace (creation times have second precision, so ties are common).
 */
class ConfigOrderTest {
  static VirtualService vs(String ns, String name, String created) {
    return new VirtualServiceBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .withCreationTimestamp(created)
        .endMetadata()
        .withNewSpec()
        .withHosts("reviews")
        .addNewHttp()
        .addNewRoute()
        .withNewDestination()
        .withHost("reviews")
        .endDestination()
        .endRoute()
        .endHttp()
        .endSpec()
        .build();
  }

  @Test
  void oldestThenNameThenNamespace() {
    String t0 = "2026-11-25T01:00:00Z";
    String t1 = "2026-11-25T01:00:01Z";
    ClusterState s =
        ClusterState.empty()
            .withVirtualServices(
                List.of(
                    vs("a-team", "zeta", t0),
                    vs("b-team", "alpha", t1),
                    vs("z-team", "alpha", t0),
                    vs("a-team", "alpha", t0)));
    List<String> expected = List.of("a-team/alpha", "z-team/alpha", "a-team/zeta", "b-team/alpha");
    MeshModelBuilder rules = new MeshModelBuilder("cluster.local", "istio-system", (k, r) -> {});
    assertThat(rules.build(s).virtualServices())
        .extracting(ConfigEntry::key)
        .as("full rebuild")
        .containsExactlyElementsOf(expected);
    assertThat(MeshIndex.of(rules, s).snapshot().virtualServices())
        .extracting(ConfigEntry::key)
        .as("incremental model")
        .containsExactlyElementsOf(expected);
  }
}
