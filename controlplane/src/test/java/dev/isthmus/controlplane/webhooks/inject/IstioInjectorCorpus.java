package dev.isthmus.controlplane.webhooks.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Istio's own injector configuration: the {@code istio-sidecar-injector} ConfigMap and the mesh
 * config of the default profile, read from the conformance output of {@code istioctl manifest
 * generate}. Absent corpus: the test is skipped, or fails under {@code CI=true}.
 *
 * @param injector the injector ConfigMap's data ({@code config}, {@code values})
 * @param mesh the {@code istio} ConfigMap's {@code mesh}
 */
public record IstioInjectorCorpus(Map<String, String> injector, String mesh) {
  private static final Path GOLDEN =
      Path.of("../../shared/conformance/istio-manifest-generate/output/pilot_default.golden.yaml");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads the corpus. */
  @SuppressWarnings("unchecked")
  public static IstioInjectorCorpus read() throws Exception {
    if (!Files.exists(GOLDEN)) {
      org.junit.jupiter.api.Assertions.assertFalse(
          "true".equals(System.getenv("CI")),
          "conformance corpus missing under CI=true: " + GOLDEN);
      assumeTrue(false, GOLDEN + " is absent");
    }
    Map<String, String> injector = null;
    String mesh = null;
    for (String doc : Files.readString(GOLDEN).split("(?m)^---\\s*$")) {
      Object o = Serialization.unmarshal(doc, Object.class);
      if (o == null) {
        continue;
      }
      JsonNode n = JSON.valueToTree(o);
      if (!"ConfigMap".equals(n.path("kind").asText())) {
        continue;
      }
      String name = n.path("metadata").path("name").asText();
      if (name.equals("istio-sidecar-injector")) {
        injector = JSON.convertValue(n.path("data"), Map.class);
      } else if (name.equals("istio")) {
        mesh = n.path("data").path("mesh").asText();
      }
    }
    assertThat(injector).as("istio-sidecar-injector ConfigMap in " + GOLDEN).isNotNull();
    return new IstioInjectorCorpus(injector, mesh);
  }

  /** The parsed configuration. */
  public InjectionConfig config() {
    return InjectionConfig.parse(injector, mesh);
  }
}
