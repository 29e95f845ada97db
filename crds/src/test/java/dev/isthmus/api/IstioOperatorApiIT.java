package dev.isthmus.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.isthmus.api.v1alpha1.ComponentStatus;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorStatus;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@WithKubeApiServer
class IstioOperatorApiIT {
  private static final String NS = "crd-it";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @BeforeAll
  static void namespace(KubernetesClient client) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
  }

  @Test
  void everyCrdIsInstalledAndEstablished(KubernetesClient client) {
    for (CustomResourceDefinition crd : Crds.all()) {
      CustomResourceDefinition live =
          client
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName(crd.getMetadata().getName())
              .get();
      assertThat(TestKubeApiServer.established(live)).as(crd.getMetadata().getName()).isTrue();
    }
    var iop =
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName("istiooperators.install.istio.io")
            .get();
    assertThat(iop.getSpec().getNames().getShortNames()).containsExactly("iop", "io");
    assertThat(iop.getSpec().getVersions().get(0).getSubresources().getStatus()).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"full.yaml", "default.yaml", "demo.yaml", "ambient.yaml"})
  void validIstioOperatorRoundTripsUnchanged(String sample, KubernetesClient client)
      throws IOException {
    JsonNode input = readSample(sample);
    IstioOperator iop = YAML.treeToValue(input, IstioOperator.class);
    IstioOperator created =
        client.resources(IstioOperator.class).inNamespace(NS).resource(iop).create();
    IstioOperator read =
        client
            .resources(IstioOperator.class)
            .inNamespace(NS)
            .withName(created.getMetadata().getName())
            .get();
    // as a typed object and as the raw JSON the server stores
    assertThat(((JsonNode) YAML.valueToTree(read.getSpec())).equals(input.get("spec")))
        .as(sample + " typed")
        .isTrue();
    GenericKubernetesResource raw =
        client
            .genericKubernetesResources(IstioOperator.API_VERSION, "IstioOperator")
            .inNamespace(NS)
            .withName(created.getMetadata().getName())
            .get();
    assertThat((JsonNode) YAML.valueToTree(raw.getAdditionalProperties().get("spec")))
        .isEqualTo(input.get("spec"));
  }

  @Test
  void wrongTypedFieldIsRejectedNamingTheField(KubernetesClient client) {
    GenericKubernetesResource bad =
        Serialization.unmarshal(
            """
            apiVersion: install.istio.io/v1alpha1
            kind: IstioOperator
            metadata:
              name: wrong-type
            spec:
              components:
                pilot:
                  enabled: "yes please"
                  k8s:
                    replicaCount: many
            """,
            GenericKubernetesResource.class);
    assertThatThrownBy(
            () ->
                client
                    .genericKubernetesResources(IstioOperator.API_VERSION, "IstioOperator")
                    .inNamespace(NS)
                    .resource(bad)
                    .create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.components.pilot.enabled")
        .hasMessageContaining("spec.components.pilot.k8s.replicaCount");
  }

  @Test
  void statusIsPatchedThroughTheSubresource(KubernetesClient client) throws IOException {
    IstioOperator iop = YAML.treeToValue(readSample("default.yaml"), IstioOperator.class);
    iop.getMetadata().setName("status-it");
    IstioOperator created =
        client.resources(IstioOperator.class).inNamespace(NS).resource(iop).create();

    IstioOperatorStatus status = new IstioOperatorStatus();
    status.status = InstallStatus.HEALTHY;
    status.message = "all components healthy";
    status.observedGeneration = created.getMetadata().getGeneration();
    status.componentStatus =
        Map.of("Pilot", new ComponentStatus("1.24.0", InstallStatus.HEALTHY, null));
    status.conditions =
        List.of(
            new ConditionBuilder()
                .withType(IstioOperatorStatus.CONDITION_READY)
                .withStatus("True")
                .withReason("Installed")
                .withMessage("ok")
                .withLastTransitionTime("2026-01-01T00:00:00Z")
                .withObservedGeneration(created.getMetadata().getGeneration())
                .build());
    created.setStatus(status);
    // a status written through the main resource is ignored; through the subresource it sticks
    IstioOperator viaMain =
        client.resources(IstioOperator.class).inNamespace(NS).resource(created).update();
    assertThat(viaMain.getStatus()).isNull();
    IstioOperator latest =
        client.resources(IstioOperator.class).inNamespace(NS).withName("status-it").get();
    latest.setStatus(status);
    client.resources(IstioOperator.class).inNamespace(NS).resource(latest).patchStatus();

    IstioOperator read =
        client.resources(IstioOperator.class).inNamespace(NS).withName("status-it").get();
    assertThat(read.getStatus().status).isEqualTo(InstallStatus.HEALTHY);
    assertThat(read.getStatus().componentStatus.get("Pilot").version).isEqualTo("1.24.0");
    assertThat(read.getStatus().conditions).extracting(c -> c.getType()).containsExactly("Ready");
    assertThat(read.getMetadata().getGeneration()).isEqualTo(created.getMetadata().getGeneration());
    // Argo CD's health check reads the enum's name from status.status
    GenericKubernetesResource raw =
        client
            .genericKubernetesResources(IstioOperator.API_VERSION, "IstioOperator")
            .inNamespace(NS)
            .withName("status-it")
            .get();
    assertThat(((Map<?, ?>) raw.getAdditionalProperties().get("status")).get("status"))
        .isEqualTo("HEALTHY");
  }

  @Test
  void istioConfigResourcesAreServedAtEveryVersion(KubernetesClient client) {
    for (String version : List.of("v1alpha3", "v1beta1", "v1")) {
      GenericKubernetesResource vs =
          Serialization.unmarshal(
              """
              apiVersion: networking.istio.io/%s
              kind: VirtualService
              metadata:
                name: reviews-%s
              spec:
                hosts: [reviews]
                http:
                - route:
                  - destination: {host: reviews, subset: v1}
                    weight: 100
              """
                  .formatted(version, version),
              GenericKubernetesResource.class);
      var created =
          client
              .genericKubernetesResources("networking.istio.io/" + version, "VirtualService")
              .inNamespace(NS)
              .resource(vs)
              .create();
      assertThat(created.getMetadata().getUid()).isNotBlank();
    }
  }

  @Test
  void oneOfFieldsOfIstioConfigAreNotPruned(KubernetesClient client) {
    GenericKubernetesResource vs =
        Serialization.unmarshal(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: oneof
            spec:
              hosts: [reviews]
              http:
              - match:
                - uri: {prefix: /api}
                  headers:
                    end-user: {exact: jason}
                fault:
                  abort: {httpStatus: 503, percentage: {value: 10}}
                route:
                - destination: {host: reviews}
            """,
            GenericKubernetesResource.class);
    client
        .genericKubernetesResources("networking.istio.io/v1", "VirtualService")
        .inNamespace(NS)
        .resource(vs)
        .create();
    GenericKubernetesResource read =
        client
            .genericKubernetesResources("networking.istio.io/v1", "VirtualService")
            .inNamespace(NS)
            .withName("oneof")
            .get();
    JsonNode http = YAML.valueToTree(read.getAdditionalProperties().get("spec")).get("http").get(0);
    assertThat(http.at("/match/0/uri/prefix").asText()).isEqualTo("/api");
    assertThat(http.at("/match/0/headers/end-user/exact").asText()).isEqualTo("jason");
    assertThat(http.at("/fault/abort/httpStatus").asInt()).isEqualTo(503);
  }

  private static JsonNode readSample(String name) throws IOException {
    try (InputStream in = IstioOperatorApiIT.class.getResourceAsStream("/samples/" + name)) {
      ObjectNode node = (ObjectNode) YAML.readTree(in);
      return node;
    }
  }
}
