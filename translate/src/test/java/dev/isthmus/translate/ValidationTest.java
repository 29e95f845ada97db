package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Table of invalid inputs, each with the error it must produce (field path first). */
class ValidationTest {
  static final String HEAD = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n";

  static List<Arguments> invalid() {
    return List.of(
        Arguments.of(
            "spec:\n  revision: Canary_1\n", "spec.revision: \"Canary_1\" is not a DNS-1123 label"),
        Arguments.of("spec:\n  revision: default\n", "spec.revision: \"default\" is reserved"),
        Arguments.of(
            "spec:\n  hub: \"Bad Hub\"\n", "spec.hub: \"Bad Hub\" is not a valid image repository"),
        Arguments.of("spec:\n  tag: \"1.2:3\"\n", "spec.tag: \"1.2:3\" is not a valid image tag"),
        Arguments.of(
            "spec:\n  components:\n    pilot:\n      hub: \"a b\"\n",
            "spec.components.pilot.hub: \"a b\" is not a valid image repository"),
        Arguments.of("spec:\n  namespace: Istio_System\n", "spec.namespace: \"Istio_System\""),
        Arguments.of("spec:\n  bogus: 1\n", "spec.bogus: unknown field"),
        Arguments.of(
            "spec:\n  components:\n    pilot:\n      enabled: maybe\n",
            "spec.components.pilot.enabled: expected a boolean, got the string \"maybe\""),
        Arguments.of(
            "spec:\n  components:\n    pilot:\n      k8s:\n        replicaCount: lots\n",
            "spec.components.pilot.k8s.replicaCount: expected an integer"),
        Arguments.of(
            "spec:\n  components:\n    pilot:\n      k8s:\n        tolerations:\n          - thats: x\n",
            "spec.components.pilot.k8s.tolerations[0].thats: unknown field"),
        Arguments.of(
            "spec:\n  components:\n    ingressGateways:\n      - enabled: true\n",
            "spec.components.ingressGateways[0].name: required"),
        Arguments.of(
            "spec:\n  components:\n    ingressGateways:\n      - name: Bad_Name\n",
            "spec.components.ingressGateways[0].name: \"Bad_Name\" is not a valid gateway name"),
        Arguments.of(
            "spec:\n  components:\n    ingressGateways:\n      - name: a\n      - name: a\n",
            "spec.components.ingressGateways[1].name: duplicate gateway \"a\""),
        Arguments.of(
            "spec:\n  components:\n    ingressGateways:\n      - name: a\n        k8s:\n          service:\n            ports:\n              - port: 70000\n",
            "spec.components.ingressGateways[0].k8s.service.ports[0].port: expected a port number"),
        Arguments.of(
            "spec:\n  values:\n    gateways:\n      istio-ingressgateway:\n        ports:\n          - port: 0\n",
            "spec.values.gateways.istio-ingressgateway.ports[0].port: expected a port number"),
        Arguments.of(
            "spec:\n  values:\n    global:\n      proxy:\n        includeIPRanges: 10.0.0.0/8,bad\n",
            "spec.values.global.proxy.includeIPRanges: \"bad\" is not a CIDR range"),
        Arguments.of(
            "spec:\n  values:\n    global:\n      proxy:\n        excludeInboundPorts: \"80,99999\"\n",
            "spec.values.global.proxy.excludeInboundPorts: \"99999\" is not a port"),
        Arguments.of(
            "spec:\n  values:\n    global:\n      badKey: 1\n",
            "spec.values.global.badKey: unknown value"),
        Arguments.of(
            "spec:\n  values:\n    pilot:\n      autoscaleEnabled: sometimes\n",
            "spec.values.pilot.autoscaleEnabled: expected a boolean"),
        Arguments.of(
            "spec:\n  values:\n    global:\n      defaultTolerations:\n        - thats: x\n",
            "spec.values.global.defaultTolerations[0].thats: unknown field"),
        Arguments.of(
            "spec:\n  values:\n    pilot:\n      resources: 5\n",
            "spec.values.pilot.resources: expected an object"),
        Arguments.of("spec:\n  profile: nope\n", "spec.profile: unknown profile \"nope\""),
        Arguments.of(
            "spec:\n  components:\n    pilot:\n      k8s:\n        overlays:\n          - kind: Deployment\n            name: nothere\n            patches:\n              - path: spec.replicas\n                value: 2\n",
            "spec.components.pilot.k8s.overlays[0]"),
        Arguments.of("kind: Deployment\n", null));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void rejectsWithFieldPath(String body, String expected) {
    String doc = body.startsWith("kind:") ? "apiVersion: apps/v1\n" + body : HEAD + body;
    assertThatThrownBy(() -> Translator.render(List.of(doc), List.of(), null, false))
        .isInstanceOf(ValidationException.class)
        .satisfies(
            e -> {
              List<String> errors = ((ValidationException) e).errors();
              if (expected == null) {
                assertThat(errors).isNotEmpty();
              } else {
                assertThat(errors).anyMatch(m -> m.startsWith(expected));
              }
            });
  }

  @Test
  void builtInDefaultsAndProfilesOnlyUseSupportedValues() {
    List<String> errors = new java.util.ArrayList<>();
    dev.isthmus.translate.validate.ValuesSchema.validate(
        ValuesTranslator.defaults(), "values-defaults.yaml", errors);
    for (String p : Profiles.NAMES) {
      assertThat(dev.isthmus.translate.validate.Validator.validate(Profiles.tree(p)).errors())
          .as(p)
          .isEmpty();
    }
    assertThat(errors).isEmpty();
  }

  @Test
  void collectsEveryErrorAtOnce() {
    String doc = HEAD + "spec:\n  revision: X\n  hub: \"a b\"\n  values:\n    nope: 1\n";
    assertThatThrownBy(() -> Translator.render(List.of(doc), List.of(), null, false))
        .isInstanceOf(ValidationException.class)
        .satisfies(
            e ->
                assertThat(((ValidationException) e).errors())
                    .hasSize(3)
                    .anyMatch(m -> m.startsWith("spec.revision"))
                    .anyMatch(m -> m.startsWith("spec.hub"))
                    .anyMatch(m -> m.startsWith("spec.values.nope")));
  }

  @Test
  void moreThanOneIstioOperatorInOneFileIsRejected() {
    String doc = HEAD + "spec: {}\n---\n" + HEAD + "spec: {}\n";
    assertThatThrownBy(() -> Translator.render(List.of(doc), List.of(), null, false))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("input 1: contains 2 IstioOperator documents");
  }

  @Test
  void unvalidatedValuesIsTheEscapeHatch() {
    String doc =
        HEAD + "spec:\n  profile: minimal\n  unvalidatedValues:\n    anything:\n      goes: true\n";
    RenderResult r = Translator.render(List.of(doc), List.of(), null, false);
    assertThat(r.values().path("anything").path("goes").asBoolean()).isTrue();
  }

  @Test
  void forceTurnsErrorsIntoWarnings() {
    String doc = HEAD + "spec:\n  profile: minimal\n  values:\n    global:\n      badKey: 1\n";
    RenderResult r = Translator.render(List.of(doc), List.of(), null, true);
    assertThat(r.warnings()).anyMatch(w -> w.contains("spec.values.global.badKey: unknown value"));
    assertThat(r.components()).extracting(ComponentManifest::component).contains("Pilot");
  }

  @Test
  void deprecatedAndIgnoredSettingsWarn() {
    String doc =
        HEAD
            + "spec:\n  profile: empty\n  installPackagePath: /tmp/charts\n  components:\n    pilot:\n"
            + "      enabled: true\n      k8s:\n        hpaSpec:\n          metrics:\n"
            + "          - type: Resource\n            resource:\n              name: cpu\n"
            + "              targetAverageUtilization: 60\n";
    RenderResult r = Translator.render(List.of(doc), List.of(), null, false);
    assertThat(r.warnings())
        .anyMatch(w -> w.startsWith("spec.installPackagePath: deprecated and ignored"))
        .anyMatch(w -> w.startsWith("spec.components.pilot.k8s.hpaSpec: autoscaling/v2beta1"));
    var hpa =
        r.objects().stream()
            .filter(o -> o.path("kind").asText().equals("HorizontalPodAutoscaler"))
            .findFirst()
            .orElseThrow();
    assertThat(hpa.at("/spec/metrics/0/resource/target/averageUtilization").asInt()).isEqualTo(60);
  }

  @Test
  void nullValuesRenderLikeMissingOnes() {
    String doc =
        HEAD
            + "spec:\n  values:\n    global:\n      mountMtlsCerts:\n    pilot:\n      autoscaleEnabled:\n";
    RenderResult r = Translator.render(List.of(doc), List.of(), null, false);
    assertThat(r.objects())
        .anyMatch(o -> o.path("kind").asText().equals("HorizontalPodAutoscaler"));
  }
}
