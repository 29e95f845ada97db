package dev.isthmus.controlplane.webhooks.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The injector config's {@code neverInjectSelector} and {@code alwaysInjectSelector}. */
class InjectionSelectorsTest {
  static final Map<String, String> LABELLED = Map.of("istio-injection", "enabled");

  static InjectionConfig config(String policy) {
    return InjectionConfig.parse(
        Map.of(
            "config",
            """
            policy: %s
            neverInjectSelector:
            - matchLabels:
                app: legacy
            - matchExpressions:
              - {key: batch, operator: Exists}
            - {}
            alwaysInjectSelector:
            - matchExpressions:
              - {key: team, operator: In, values: [payments, search]}
            """
                .formatted(policy)),
        null);
  }

  static Pod pod(Map<String, String> labels, Map<String, String> annotations) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withLabels(labels)
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .endContainer()
        .endSpec()
        .build();
  }

  static InjectionPolicy.Decision decide(InjectionConfig c, Pod p) {
    return InjectionPolicy.decide(
        p,
        "shop",
        LABELLED,
        "default",
        c.policy(),
        c.neverInjectSelector(),
        c.alwaysInjectSelector());
  }

  @Test
  void neverSelectorsKeepMatchingPodsOutUnlessThePodAsks() {
    InjectionConfig c = config("enabled");
    assertThat(decide(c, pod(Map.of("app", "legacy"), Map.of())))
        .isEqualTo(new InjectionPolicy.Decision(false, "pod matches neverInjectSelector[0]"));
    assertThat(decide(c, pod(Map.of("app", "web", "batch", ""), Map.of())).reason())
        .isEqualTo("pod matches neverInjectSelector[1]");
    assertThat(
            decide(c, pod(Map.of("app", "legacy"), Map.of("sidecar.istio.io/inject", "true")))
                .inject())
        .as("the pod's own annotation wins")
        .isTrue();
    assertThat(decide(c, pod(Map.of("app", "web"), Map.of())).inject())
        .as("an empty selector matches nothing")
        .isTrue();
  }

  @Test
  void alwaysSelectorsInjectEvenWithPolicyDisabled() {
    InjectionConfig c = config("disabled");
    assertThat(decide(c, pod(Map.of("team", "search"), Map.of())))
        .isEqualTo(new InjectionPolicy.Decision(true, "pod matches alwaysInjectSelector[0]"));
    assertThat(decide(c, pod(Map.of("team", "ads"), Map.of())).inject()).isFalse();
    assertThat(decide(c, pod(Map.of("team", "search", "app", "legacy"), Map.of())).inject())
        .as("never is checked before always")
        .isFalse();
  }

  @Test
  void aSelectorThatIsNotOneIsNamed() {
    assertThatThrownBy(
            () ->
                InjectionConfig.parse(
                    Map.of("config", "neverInjectSelector:\n- matchLabels: [a, b]\n"), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("config.neverInjectSelector[0]: not a label selector");
  }
}
