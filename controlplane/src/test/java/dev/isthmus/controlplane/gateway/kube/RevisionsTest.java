package dev.isthmus.controlplane.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which revision owns a Gateway API object (writes its status, deploys it), as istiod decides. */
class RevisionsTest {
  static final Map<String, Map<String, String>> NAMESPACES =
      Map.of(
          "plain", Map.of(),
          "canary-ns", Map.of("istio.io/rev", "canary"),
          "prod-ns", Map.of("istio.io/rev", "prod"));

  static GenericKubernetesResource gateway(String ns, String rev) {
    GenericKubernetesResource gw = new GenericKubernetesResource();
    gw.setKind("Gateway");
    var meta = new ObjectMetaBuilder().withNamespace(ns).withName("web");
    if (rev != null) {
      meta.addToLabels("istio.io/rev", rev);
    }
    gw.setMetadata(meta.build());
    return gw;
  }

  static Revisions revision(
      String name, Set<String> tags, boolean otherDefaultTag, String validatorRevision) {
    return Revisions.of(name, NAMESPACES::get, tags, otherDefaultTag, validatorRevision);
  }

  @Test
  void theUnnamedRevisionOwnsWhatNamesNoRevision() {
    Revisions def = revision("default", Set.of(), false, null);
    assertThat(def.isMine(gateway("plain", null))).isTrue();
    assertThat(def.isMine(gateway("plain", "canary"))).isFalse();
    assertThat(def.isMine(gateway("canary-ns", null))).isFalse();
    assertThat(def.isMine(gateway("absent-ns", null))).as("namespace unknown").isTrue();
  }

  @Test
  void aNamedRevisionOwnsWhatNamesItOrOneOfItsTags() {
    Revisions canary = revision("canary", Set.of("prod"), false, null);
    assertThat(canary.isMine(gateway("plain", null))).isFalse();
    assertThat(canary.isMine(gateway("plain", "canary"))).isTrue();
    assertThat(canary.isMine(gateway("plain", "prod"))).isTrue();
    assertThat(canary.isMine(gateway("canary-ns", null))).isTrue();
    assertThat(canary.isMine(gateway("prod-ns", null))).isTrue();
    // the object's own label wins over its namespace's
    assertThat(canary.isMine(gateway("canary-ns", "other"))).isFalse();
  }

  @Test
  void theDefaultTagOrTheDefaultValidatorMakesARevisionTheDefault() {
    assertThat(revision("canary", Set.of("default"), false, null).isMine(gateway("plain", null)))
        .as("the default tag points to canary")
        .isTrue();
    assertThat(revision("canary", Set.of(), false, "canary").isMine(gateway("plain", null)))
        .as("istiod-default-validator is canary's")
        .isTrue();
    assertThat(revision("canary", Set.of(), true, "canary").isMine(gateway("plain", null)))
        .as("a default tag pointing elsewhere takes precedence over the default revision")
        .isFalse();
    assertThat(revision("canary", Set.of(), false, "default").isMine(gateway("plain", null)))
        .isFalse();
  }
}
