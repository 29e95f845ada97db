package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Applies rendered profiles to a real API server with server-side apply, twice: every object must
 * be accepted, and the second apply must change nothing (same resourceVersion everywhere), which is
 * what "fully specified desired objects" buys the operator.
 */
@WithKubeApiServer
class ServerSideApplyIT {
  @ParameterizedTest
  @ValueSource(strings = {"default", "demo", "ambient"})
  void secondApplyIsANoOp(String profile, KubernetesClient client) {
    String rev = "ssa-" + profile;
    // with a revision tag, so its webhook is held to the same fixed point
    String iop =
        "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n"
            + "    revisionTags: ["
            + rev
            + "-tag]\n";
    RenderResult r = Translator.render(List.of(iop), List.of("profile=" + profile), rev, false);
    assertThat(r.objects())
        .anyMatch(
            o -> o.at("/metadata/name").asText().equals("istio-revision-tag-" + rev + "-tag"));
    for (String ns : List.of("istio-system", "kube-system")) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .serverSideApply();
    }
    Map<String, String> first = applyAll(client, r.objects());
    Map<String, String> second = applyAll(client, r.objects());
    assertThat(first).hasSize(r.objects().size());
    assertThat(second).isEqualTo(first);
    List<String> drift = new java.util.ArrayList<>();
    for (ObjectNode o : r.objects()) {
      if (o.path("kind").asText().equals("CustomResourceDefinition")) {
        continue;
      }
      GenericKubernetesResource live = client.resource(toResource(o)).get();
      ObjectNode liveTree = Serialization.jsonMapper().valueToTree(live);
      subset(o, liveTree, Parity.id(o), drift);
    }
    assertThat(drift).as("desired fields the server stores differently").isEmpty();
    for (ObjectNode o : r.objects()) {
      String kind = o.path("kind").asText();
      if (kind.endsWith("WebhookConfiguration")) {
        client.resource(toResource(o)).delete();
      }
    }
  }

  /** Every field we set is stored as we set it (quantities compared by value). */
  private static void subset(
      com.fasterxml.jackson.databind.JsonNode want,
      com.fasterxml.jackson.databind.JsonNode got,
      String path,
      List<String> drift) {
    if (want.isObject()) {
      want.fields()
          .forEachRemaining(
              e -> {
                var g = got == null ? null : got.get(e.getKey());
                if (g == null && !e.getValue().isNull()) {
                  drift.add(path + "." + e.getKey() + ": missing on the server");
                } else if (g != null) {
                  subset(e.getValue(), g, path + "." + e.getKey(), drift);
                }
              });
    } else if (want.isArray()) {
      if (got == null || !got.isArray() || got.size() != want.size()) {
        drift.add(path + ": list differs");
        return;
      }
      for (int i = 0; i < want.size(); i++) {
        subset(want.get(i), got.get(i), path + "[" + i + "]", drift);
      }
    } else if (!want.asText().equals(got.asText()) && !sameQuantity(want.asText(), got.asText())) {
      drift.add(path + ": want " + want.asText() + ", server has " + got.asText());
    }
  }

  private static boolean sameQuantity(String a, String b) {
    try {
      return new io.fabric8.kubernetes.api.model.Quantity(a)
              .getNumericalAmount()
              .compareTo(new io.fabric8.kubernetes.api.model.Quantity(b).getNumericalAmount())
          == 0;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Map<String, String> applyAll(KubernetesClient client, List<ObjectNode> objects) {
    Map<String, String> versions = new LinkedHashMap<>();
    for (ObjectNode o : objects) {
      HasMetadata applied =
          client
              .resource(toResource(o))
              .fieldManager("isthmus-operator")
              .forceConflicts()
              .serverSideApply();
      versions.put(Parity.id(o), applied.getMetadata().getResourceVersion());
    }
    return versions;
  }

  private static GenericKubernetesResource toResource(ObjectNode o) {
    return Serialization.jsonMapper().convertValue(o, GenericKubernetesResource.class);
  }
}
