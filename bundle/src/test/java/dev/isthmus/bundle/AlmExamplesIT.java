package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every {@code alm-examples} entry of the checked-in CSV is accepted by the real API server's CRD
 * schema (dry run).
 */
@WithKubeApiServer
class AlmExamplesIT {
  static final String NS = "alm-examples";

  private static List<JsonNode> examples() {
    String raw = BundleDir.csv().at("/metadata/annotations").path("alm-examples").asText();
    return read(raw, new TypeReference<List<JsonNode>>() {});
  }

  @Test
  void everyExampleValidatesAgainstItsCrdSchema(KubernetesClient client) {
    Rollouts.namespace(client, NS);
    List<JsonNode> examples = examples();
    assertThat(examples).hasSizeGreaterThan(1);
    for (JsonNode e : examples) {
      GenericKubernetesResource r =
          Serialization.jsonMapper().convertValue(e, GenericKubernetesResource.class);
      r.getMetadata().setNamespace(NS);
      GenericKubernetesResource created = client.resource(r).dryRun().create();
      assertThat(created.getMetadata().getUid()).as(r.getKind()).isNotBlank();
      assertThat(client.resource(r).get()).as("dry run stored nothing").isNull();
    }
  }

  @Test
  void theIstioOperatorExampleIsTheTypedDefaultProfile(KubernetesClient client) {
    Rollouts.namespace(client, NS);
    IstioOperator iop =
        Serialization.jsonMapper().convertValue(examples().get(0), IstioOperator.class);
    iop.getMetadata().setNamespace(NS);
    IstioOperator created =
        client.resources(IstioOperator.class).inNamespace(NS).resource(iop).dryRun().create();
    assertThat(created.getSpec().profile).isEqualTo("default");
  }

  @Test
  void theSchemaCheckRejectsAWrongExample(KubernetesClient client) {
    // control: the dry run above would also accept anything if the schema were not enforced
    Rollouts.namespace(client, NS);
    ObjectNode bad = examples().get(0).deepCopy();
    ((ObjectNode) bad.get("spec")).putObject("profile").put("not", "a string");
    GenericKubernetesResource r =
        Serialization.jsonMapper().convertValue(bad, GenericKubernetesResource.class);
    r.getMetadata().setNamespace(NS);
    assertThatThrownBy(() -> client.resource(r).dryRun().create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.profile");
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return Serialization.jsonMapper().readValue(json, type);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
