package dev.isthmus.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The checked-in CRDs under {@code crds/manifests/} must be exactly what the Java types generate: a
 * field changed without regenerating fails the build. Regenerate with {@code ./mvnw -pl crds test
 * -Dcrds.refresh=true}.
 */
class CrdsUpToDateTest {
  private static final Path DIR = Path.of("manifests");

  @Test
  void checkedInCrdsMatchTheJavaTypes() throws IOException {
    Map<String, String> generated = CrdGeneration.generate();
    if (Boolean.getBoolean("crds.refresh")) {
      Files.createDirectories(DIR);
      try (Stream<Path> old = Files.list(DIR)) {
        for (Path p : old.collect(Collectors.toList())) {
          Files.delete(p);
        }
      }
      for (Map.Entry<String, String> e : generated.entrySet()) {
        Files.writeString(DIR.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
      }
    }
    TreeSet<String> onDisk;
    try (Stream<Path> files = Files.list(DIR)) {
      onDisk =
          files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
    assertThat(onDisk)
        .as("files in crds/manifests (regenerate with -Dcrds.refresh=true)")
        .isEqualTo(new TreeSet<>(generated.keySet()))
        .isEqualTo(new TreeSet<>(Crds.FILES));
    for (Map.Entry<String, String> e : generated.entrySet()) {
      assertThat(Files.readString(DIR.resolve(e.getKey())))
          .as("crds/manifests/%s is stale: regenerate with -Dcrds.refresh=true", e.getKey())
          .isEqualTo(e.getValue());
    }
  }

  @Test
  void istioConfigCrdsStoreTheVersionIstioStores() {
    assertThat(Crds.istioConfig())
        .allSatisfy(
            crd ->
                assertThat(
                        (Long)
                            crd.getSpec().getVersions().stream()
                                .filter(v -> v.getStorage())
                                .count())
                    .as(crd.getMetadata().getName())
                    .isEqualTo(1));
    var vs =
        Crds.istioConfig().stream()
            .filter(c -> c.getMetadata().getName().equals("virtualservices.networking.istio.io"))
            .findFirst()
            .orElseThrow();
    assertThat(vs.getSpec().getVersions())
        .extracting(v -> v.getName())
        .containsExactly("v1alpha3", "v1beta1", "v1");
  }
}
