package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The checked-in bundle ({@code bundle/manifests}, {@code bundle/metadata}, {@code
 * bundle/bundle.Dockerfile}) must be exactly what {@link Bundle} generates from the operator's
 * Deployment and RBAC and the CRDs: regenerate with {@code ./mvnw -pl bundle test
 * -Dtest=BundleUpToDateTest -Dbundle.refresh=true}.
 */
class BundleUpToDateTest {
  @Test
  void checkedInBundleMatchesTheGenerator() throws IOException {
    Path root = BundleDir.root();
    if (Boolean.getBoolean("bundle.refresh")) {
      Bundle.write(root, BundleInfo.current());
    }
    SortedMap<String, String> generated = Bundle.files(BundleInfo.current());
    TreeSet<String> onDisk = new TreeSet<>();
    for (String sub : new String[] {"manifests", "metadata"}) {
      try (Stream<Path> files = Files.list(root.resolve(sub))) {
        onDisk.addAll(files.map(p -> sub + "/" + p.getFileName()).collect(Collectors.toSet()));
      }
    }
    if (Files.exists(root.resolve(Bundle.DOCKERFILE_PATH))) {
      onDisk.add(Bundle.DOCKERFILE_PATH);
    }
    assertThat(onDisk)
        .as("bundle files (regenerate with -Dbundle.refresh=true)")
        .isEqualTo(generated.keySet());
    for (Map.Entry<String, String> e : generated.entrySet()) {
      assertThat(Files.readString(root.resolve(e.getKey())))
          .as("bundle/%s is stale: regenerate with -Dbundle.refresh=true", e.getKey())
          .isEqualTo(e.getValue());
    }
  }

  @Test
  void generationIsDeterministic() {
    assertThat(Bundle.files(BundleInfo.current())).isEqualTo(Bundle.files(BundleInfo.current()));
  }
}
