package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.api.Crds;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.CrdPolicy;
import dev.isthmus.operator.OperatorManifests;
import dev.isthmus.operator.OperatorRbac;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** What OLM relies on in the checked-in bundle, checked offline. */
class BundleInvariantsTest {
  private static final JsonNode CSV = BundleDir.csv();

  private static List<JsonNode> list(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).toList();
  }

  private static List<CustomResourceDefinition> bundledCrds() throws IOException {
    List<CustomResourceDefinition> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(BundleDir.root().resolve("manifests"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".crd.yaml")).sorted().toList()) {
        out.add(Serialization.unmarshal(Files.readString(p), CustomResourceDefinition.class));
      }
    }
    return out;
  }

  @Test
  void ownedCrdsAreExactlyTheBundledCrds() throws IOException {
    Set<String> owned =
        list(CSV.at("/spec/customresourcedefinitions/owned")).stream()
            .map(
                o ->
                    o.path("name").asText()
                        + " "
                        + o.path("kind").asText()
                        + " "
                        + o.path("version").asText())
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> bundled = new TreeSet<>();
    for (CustomResourceDefinition crd : bundledCrds()) {
      var served = crd.getSpec().getVersions().stream().filter(v -> v.getServed()).toList();
      bundled.add(
          crd.getMetadata().getName()
              + " "
              + crd.getSpec().getNames().getKind()
              + " "
              + served.get(served.size() - 1).getName());
    }
    assertThat(owned).isEqualTo(bundled).hasSize(Crds.FILES.size());
  }

  @Test
  void bundledCrdsAreTheCrdsTheOperatorShips() throws IOException {
    assertThat(bundledCrds()).containsExactlyInAnyOrderElementsOf(Crds.all());
  }

  @Test
  void istioConfigCrdsAreInternalObjectsAndIstioOperatorIsNot() throws IOException {
    String raw =
        CSV.at("/metadata/annotations").path(ClusterServiceVersions.INTERNAL_OBJECTS).asText();
    List<String> internal = read(raw, new TypeReference<List<String>>() {});
    assertThat(internal)
        .containsExactlyInAnyOrderElementsOf(
            Crds.istioConfig().stream().map(c -> c.getMetadata().getName()).toList())
        .doesNotContain("istiooperators.install.istio.io");
  }

  @Test
  void clusterPermissionsEqualTheOperatorRbac() {
    JsonNode perms = CSV.at("/spec/install/spec/clusterPermissions");
    assertThat(perms).hasSize(1);
    assertThat(perms.get(0).path("serviceAccountName").asText()).isEqualTo(OperatorManifests.NAME);
    List<PolicyRule> rules =
        Serialization.jsonMapper()
            .convertValue(perms.get(0).path("rules"), new TypeReference<>() {});
    assertThat(rules).isEqualTo(OperatorRbac.rules(CrdPolicy.EXTERNAL));
    // OLM owns the bundled CRDs: the operator may read them but never create, patch or delete them
    assertThat(rules)
        .filteredOn(r -> r.getResources().contains("customresourcedefinitions"))
        .singleElement()
        .satisfies(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));
    assertThat(rules).flatExtracting(PolicyRule::getVerbs).doesNotContain("*");
    assertThat(rules).flatExtracting(PolicyRule::getResources).doesNotContain("*");
    JsonNode namespaced = CSV.at("/spec/install/spec/permissions");
    assertThat(namespaced).hasSize(1);
    assertThat(namespaced.get(0).path("serviceAccountName").asText())
        .isEqualTo(OperatorManifests.NAME);
    List<PolicyRule> namespacedRules =
        Serialization.jsonMapper()
            .convertValue(namespaced.get(0).path("rules"), new TypeReference<>() {});
    assertThat(namespacedRules).isEqualTo(OperatorRbac.namespacedRules());
  }

  @Test
  void deploymentIsTheOperatorDeployment() {
    JsonNode deployments = CSV.at("/spec/install/spec/deployments");
    assertThat(deployments).hasSize(1);
    JsonNode d = deployments.get(0);
    assertThat(d.path("name").asText()).isEqualTo(OperatorManifests.NAME);
    DeploymentSpec spec =
        Serialization.jsonMapper().convertValue(d.path("spec"), DeploymentSpec.class);
    var expected =
        OperatorManifests.deployment(
                "any", BundleInfo.current().operatorImage(), CrdPolicy.EXTERNAL)
            .getSpec();
    assertThat(spec).isEqualTo(expected);
    var container = spec.getTemplate().getSpec().getContainers().get(0);
    assertThat(spec.getTemplate().getSpec().getServiceAccountName())
        .isEqualTo(OperatorManifests.NAME);
    assertThat(container.getArgs()).containsExactly("operator", "--crds=external");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
  }

  @Test
  void almExamplesParseAndCoverEveryOwnedApi() {
    String raw = CSV.at("/metadata/annotations").path("alm-examples").asText();
    List<Map<String, Object>> examples =
        read(raw, new TypeReference<List<Map<String, Object>>>() {});
    Set<String> exampleGvks =
        examples.stream()
            .map(e -> e.get("apiVersion") + "/" + e.get("kind"))
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> ownedGvks =
        list(CSV.at("/spec/customresourcedefinitions/owned")).stream()
            .map(
                o ->
                    o.path("name").asText().substring(o.path("name").asText().indexOf('.') + 1)
                        + "/"
                        + o.path("version").asText()
                        + "/"
                        + o.path("kind").asText())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(exampleGvks).isEqualTo(ownedGvks);

    IstioOperator iop =
        Serialization.jsonMapper().convertValue(examples.get(0), IstioOperator.class);
    assertThat(iop.getSpec().profile).isEqualTo("default");
    assertThat(Translator.render(iop).objects()).isNotEmpty();
  }

  @Test
  void relatedImagesCoverTheOperatorAndEveryRenderedImage() {
    Set<String> related =
        list(CSV.at("/spec/relatedImages")).stream()
            .map(n -> n.path("image").asText())
            .collect(Collectors.toSet());
    assertThat(related).contains(OperatorManifests.DEFAULT_IMAGE);
    assertThat(CSV.at("/metadata/annotations/containerImage").asText())
        .isEqualTo(OperatorManifests.DEFAULT_IMAGE);
    Set<String> rendered = new TreeSet<>();
    for (var o : Translator.render(BundleResources.defaultIstioOperator()).objects()) {
      for (JsonNode c : o.at("/spec/template/spec/containers")) {
        rendered.add(c.path("image").asText());
      }
    }
    assertThat(rendered).isNotEmpty();
    assertThat(related).containsAll(rendered);
    assertThat(related)
        .anyMatch(i -> i.contains("proxyv2"))
        .anyMatch(i -> i.contains("controlplane"));
  }

  @Test
  void installModesSayWhatTheDeploymentSupports() {
    Map<String, Boolean> modes = new LinkedHashMap<>();
    list(CSV.at("/spec/installModes"))
        .forEach(m -> modes.put(m.path("type").asText(), m.path("supported").asBoolean()));
    // the Deployment watches the one namespace OLM targets (WATCH_NAMESPACE)
    assertThat(modes)
        .containsExactly(
            Map.entry("OwnNamespace", true), Map.entry("SingleNamespace", true),
            Map.entry("MultiNamespace", false), Map.entry("AllNamespaces", false));
  }

  @Test
  void dockerfileLabelsMirrorTheAnnotations() {
    JsonNode annotations =
        BundleYaml.parse(BundleDir.read(Bundle.ANNOTATIONS_PATH)).path("annotations");
    Map<String, String> fromYaml = new LinkedHashMap<>();
    annotations.fields().forEachRemaining(e -> fromYaml.put(e.getKey(), e.getValue().asText()));
    Map<String, String> labels = new LinkedHashMap<>();
    for (String line : BundleDir.read(Bundle.DOCKERFILE_PATH).split("\n")) {
      if (line.startsWith("LABEL ")) {
        String kv = line.substring(6);
        labels.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
    }
    assertThat(labels).isEqualTo(fromYaml);
    assertThat(fromYaml)
        .containsEntry("operators.operatorframework.io.bundle.mediatype.v1", "registry+v1")
        .containsEntry("operators.operatorframework.io.bundle.manifests.v1", "manifests/")
        .containsEntry("operators.operatorframework.io.bundle.metadata.v1", "metadata/")
        .containsEntry("operators.operatorframework.io.bundle.package.v1", "isthmus");
    List<String> channels =
        List.of(fromYaml.get("operators.operatorframework.io.bundle.channels.v1").split(","));
    assertThat(channels)
        .contains(fromYaml.get("operators.operatorframework.io.bundle.channel.default.v1"));
  }

  @Test
  void csvIdentityAndUpgradeFields() {
    BundleInfo info = BundleInfo.current();
    assertThat(CSV.at("/metadata/name").asText()).isEqualTo("isthmus.v" + info.version());
    assertThat(CSV.at("/spec/version").asText()).isEqualTo(info.version());
    assertThat(CSV.at("/metadata/annotations/olm.skipRange").asText()).isEqualTo(info.skipRange());
    assertThat(CSV.at("/spec/minKubeVersion").asText()).matches("\\d+\\.\\d+\\.\\d+");
    assertThat(CSV.at("/metadata/annotations/capabilities").asText()).isEqualTo("Basic Install");
    assertThat(CSV.at("/spec/icon/0/mediatype").asText()).isEqualTo("image/svg+xml");
    String svg =
        new String(
            java.util.Base64.getDecoder().decode(CSV.at("/spec/icon/0/base64data").asText()));
    assertThat(svg).startsWith("<svg").contains("</svg>");
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return Serialization.jsonMapper().readValue(json, type);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
