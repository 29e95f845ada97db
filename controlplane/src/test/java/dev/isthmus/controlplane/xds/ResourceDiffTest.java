package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceDiffTest {
  static VersionedResource<?> cluster(String name, String version) {
    return VersionedResource.create(Cluster.newBuilder().setName(name).build(), version);
  }

  @Test
  void namesAddedRemovedAndChangedButNotTheSame() {
    var same = cluster("a", "1");
    Map<String, VersionedResource<?>> from =
        Map.of("a", same, "b", cluster("b", "1"), "c", cluster("c", "1"), "d", cluster("d", "1"));
    Map<String, VersionedResource<?>> to =
        Map.of("a", same, "b", cluster("b", "2"), "d", cluster("d", "1"), "e", cluster("e", "1"));
    assertThat(ResourceDiff.between(from, to)).containsExactlyInAnyOrder("b", "c", "e");
    assertThat(ResourceDiff.between(from, to)).isSameAs(ResourceDiff.between(from, to));
    assertThat(ResourceDiff.between(to, to)).isEmpty();
  }
}
