package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranslatorTest {
  static final String HEAD = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n";

  static IstioOperator iop(String name, String ns, IstioOperatorSpec spec) {
    IstioOperator iop = new IstioOperator();
    iop.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    iop.setSpec(spec);
    return iop;
  }

  @Test
  void operatorPathLabelsEveryObjectWithOwnerAndComponent() {
    IstioOperatorSpec spec = new IstioOperatorSpec();
    spec.profile = "demo";
    RenderResult r = Translator.render(iop("mesh", "istio-system", spec));
    assertThat(r.components())
        .extracting(ComponentManifest::component)
        .containsExactly("Base", "Pilot", "IngressGateways", "EgressGateways");
    for (ComponentManifest c : r.components()) {
      for (ObjectNode o : c.objects()) {
        var labels = o.path("metadata").path("labels");
        assertThat(labels.path("operator.istio.io/component").asText()).isEqualTo(c.component());
        assertThat(labels.path("istio.io/rev").asText()).isEqualTo("default");
        assertThat(labels.path("install.operator.istio.io/owning-resource").asText())
            .isEqualTo("mesh");
        assertThat(labels.path("install.operator.istio.io/owning-resource-namespace").asText())
            .isEqualTo("istio-system");
        assertThat(labels.path("operator.istio.io/managed").asText()).isEqualTo("Reconcile");
      }
    }
  }

  @Test
  void objectsAreOrderedByKindWithinEachComponent() {
    RenderResult r = Translator.render(List.of(), List.of(), null, false);
    List<String> order =
        List.of(
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Service",
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration");
    for (ComponentManifest c : r.components()) {
      List<Integer> ranks = new ArrayList<>();
      c.objects().forEach(o -> ranks.add(order.indexOf(o.path("kind").asText())));
      assertThat(ranks).doesNotContain(-1).isSorted();
    }
    assertThat(r.components().get(0).objects().get(0).path("kind").asText())
        .isEqualTo("CustomResourceDefinition");
  }

  @Test
  void sameInputSameBytes() {
    String doc = HEAD + "spec:\n  profile: demo\n  revision: r1\n";
    String a = Translator.render(List.of(doc), List.of(), null, false).toYaml();
    String b = Translator.render(List.of(doc), List.of(), null, false).toYaml();
    assertThat(a).isEqualTo(b);
  }

  @Test
  void mergeOrderMapsDeepListsWholesaleSetsLast() {
    String f1 =
        HEAD
            + "spec:\n  meshConfig:\n    accessLogFile: /a\n    defaultConfig:\n      concurrency: 2\n"
            + "  components:\n    ingressGateways:\n    - name: gw-a\n      enabled: true\n";
    String f2 =
        HEAD
            + "spec:\n  meshConfig:\n    defaultConfig:\n      drainDuration: 5s\n"
            + "  components:\n    ingressGateways:\n    - name: gw-b\n      enabled: true\n";
    RenderResult r =
        Translator.render(List.of(f1, f2), List.of("meshConfig.accessLogFile=/b"), null, false);
    var mesh = r.values().path("meshConfig");
    assertThat(mesh.path("accessLogFile").asText()).isEqualTo("/b");
    assertThat(mesh.at("/defaultConfig/concurrency").asInt()).isEqualTo(2);
    assertThat(mesh.at("/defaultConfig/drainDuration").asText()).isEqualTo("5s");
    assertThat(r.components())
        .filteredOn(c -> c.component().equals("IngressGateways"))
        .extracting(ComponentManifest::name)
        .containsExactly("gw-b");
  }

  @Test
  void userValuesWinOverTranslatedSpec() {
    String doc =
        HEAD
            + "spec:\n  hub: spec.example/hub\n  values:\n    global:\n      hub: values.example/hub\n";
    RenderResult r = Translator.render(List.of(doc), List.of(), null, false);
    assertThat(r.values().at("/global/hub").asText()).isEqualTo("values.example/hub");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      value = {
        // Istio's hub and tag name the stock proxies, never the control plane's image
        "hub: reg.example/mesh, tag: 9.9.9 | isthmus/isthmus-controlplane:0.1.0",
        "values: {global: {hub: docker.io/istio, tag: 1.28.0}} | isthmus/isthmus-controlplane:0.1.0",
        "values: {pilot: {hub: mirror.example/isthmus}} | mirror.example/isthmus/isthmus-controlplane:0.1.0",
        "values: {pilot: {tag: 0.2.0}} | isthmus/isthmus-controlplane:0.2.0",
        "values: {pilot: {image: mirror.example/cp:1}} | mirror.example/cp:1",
      })
  void pilotRunsTheIsthmusControlPlaneImage(String spec, String image) {
    String doc = HEAD + "spec: {profile: minimal, " + spec + "}\n";
    RenderResult r = Translator.render(List.of(doc), List.of(), null, false);
    var d =
        r.objects().stream()
            .filter(o -> o.path("kind").asText().equals("Deployment"))
            .findFirst()
            .orElseThrow();
    assertThat(d.at("/spec/template/spec/containers/0/image").asText()).isEqualTo(image);
  }

  @Test
  void gatewaysEnabledThroughValuesRender() {
    RenderResult r =
        Translator.render(
            List.of(), List.of("values.gateways.istio-egressgateway.enabled=true"), null, false);
    assertThat(r.components()).extracting(ComponentManifest::name).contains("istio-egressgateway");
    var svc =
        r.objects().stream()
            .filter(
                o ->
                    o.path("kind").asText().equals("Service")
                        && o.at("/metadata/name").asText().equals("istio-egressgateway"))
            .findFirst()
            .orElseThrow();
    assertThat(svc.at("/spec/type").asText()).isEqualTo("ClusterIP");
  }

  @Test
  void pdbFollowsHpaMinimumAndReplicaCount() {
    String withHpa =
        HEAD
            + "spec:\n  profile: minimal\n  components:\n    pilot:\n      k8s:\n        hpaSpec:\n          minReplicas: 2\n";
    assertThat(kinds(Translator.render(List.of(withHpa), List.of(), null, false)))
        .contains("PodDisruptionBudget");
    assertThat(
            kinds(
                Translator.render(
                    List.of(HEAD + "spec:\n  profile: minimal\n"), List.of(), null, false)))
        .doesNotContain("PodDisruptionBudget");
  }

  @Test
  void everyProfileRenders() {
    for (String p : Profiles.NAMES) {
      RenderResult r = Translator.render(List.of(), List.of("profile=" + p), null, false);
      assertThat(r.merged().getSpec().profile).isEqualTo(p);
      if (!p.equals("empty")) {
        assertThat(r.components()).as(p).isNotEmpty();
      }
    }
  }

  static List<String> kinds(RenderResult r) {
    return r.objects().stream().map(o -> o.path("kind").asText()).toList();
  }

  @Test
  void compatibilityVersionIsKeptButSaidToChangeNothing() {
    RenderResult r =
        Translator.render(List.of(), List.of("compatibilityVersion=1.25"), null, false);
    assertThat(r.values().path("compatibilityVersion").asText()).isEqualTo("1.25");
    assertThat(r.warnings())
        .contains(
            "spec.compatibilityVersion: \"1.25\" is kept in the values but changes nothing: the"
                + " control plane has a single behaviour");
    assertThat(Translator.render(List.of(), List.of(), null, false).warnings())
        .noneMatch(w -> w.contains("compatibilityVersion"));
  }
}
