package dev.isthmus.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class PatcherTest {

  static final PatchTarget TARGET = new PatchTarget("Deployment", "web", "app", "web");

  static List<ObjectNode> objects() {
    return Yaml.objects(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 1
          template:
            spec:
              containers: [{name: app, image: a}]
        """);
  }

  @Test
  void noK8sBlockReturnsEqualCopies() {
    List<ObjectNode> in = objects();
    for (var k8s :
        new com.fasterxml.jackson.databind.JsonNode[] {
          null, NullNode.getInstance(), MissingNode.getInstance()
        }) {
      List<ObjectNode> out = Patcher.apply(in, k8s, TARGET, "spec.components.pilot.k8s");
      assertThat(out).isEqualTo(in);
      for (int i = 0; i < in.size(); i++) {
        assertThat(out.get(i)).isNotSameAs(in.get(i));
      }
    }
  }

  @Test
  void returnsPatchedCopiesInInputOrder() {
    List<ObjectNode> in = objects();
    List<ObjectNode> before = in.stream().map(ObjectNode::deepCopy).toList();
    List<ObjectNode> out =
        Patcher.apply(
            in,
            Yaml.tree(
                """
                replicaCount: 2
                serviceAnnotations: {a: b}
                overlays:
                - kind: Deployment
                  name: web
                  jsonPatch: [{op: replace, path: /spec/template/spec/containers/0/image, value: b}]
                """),
            TARGET,
            "spec.components.pilot.k8s");
    assertThat(in).isEqualTo(before);
    assertThat(out)
        .extracting(o -> o.get("kind").asText())
        .containsExactly("Service", "Deployment");
    assertThat(out.get(0).at("/metadata/annotations/a").asText()).isEqualTo("b");
    assertThat(out.get(1).at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(out.get(1).at("/spec/template/spec/containers/0/image").asText()).isEqualTo("b");
  }

  @Test
  void aFailingLaterPatchLeavesEveryInputUntouched() {
    List<ObjectNode> in = objects();
    List<ObjectNode> before = in.stream().map(ObjectNode::deepCopy).toList();
    var k8s =
        Yaml.tree(
            """
            replicaCount: 5
            serviceAnnotations: {a: b}
            overlays:
            - kind: Service
              name: web
              patches: [{path: spec.type, value: NodePort}]
            - kind: Deployment
              name: web
              patches:
              - {path: 'spec.template.spec.containers.[name:app].image', value: c}
              - {path: 'spec.template.spec.containers.[name:foo].image', value: d}
            """);
    assertThatThrownBy(() -> Patcher.apply(in, k8s, TARGET, "spec.components.pilot.k8s"))
        .isInstanceOf(PatchException.class)
        .hasMessage(
            "spec.components.pilot.k8s.overlays[1].patches[1].path: no list element matches"
                + " [name:foo] at spec.template.spec.containers.[name:foo] (in path"
                + " spec.template.spec.containers.[name:foo].image)")
        .extracting(e -> ((PatchException) e).fieldPath())
        .isEqualTo("spec.components.pilot.k8s.overlays[1].patches[1].path");
    assertThat(in).isEqualTo(before);
  }

  @Test
  void k8sMustBeAMap() {
    assertThatThrownBy(() -> Patcher.apply(objects(), Yaml.tree("[1]"), TARGET, "x.k8s"))
        .isInstanceOf(PatchException.class)
        .hasMessage("x.k8s: expected a map but found [1]");
  }

  @Test
  void overlayAppliesToEveryObjectWithThatKindAndName() {
    List<ObjectNode> in = objects();
    in.add(in.get(1).deepCopy().put("apiVersion", "apps/v1beta2"));
    List<ObjectNode> out =
        Patcher.apply(
            in,
            Yaml.tree(
                "overlays: [{kind: Deployment, name: web, mergePatch: {spec: {paused: true}}}]"),
            TARGET,
            "k8s");
    assertThat(out.get(1).at("/spec/paused").asBoolean()).isTrue();
    assertThat(out.get(2).at("/spec/paused").asBoolean()).isTrue();
  }

  @Test
  void nullTargetAllowsOverlaysOnly() {
    List<ObjectNode> out =
        Patcher.apply(
            objects(),
            Yaml.tree(
                "overlays: [{kind: Service, name: web, patches: [{path: spec.type, value: NodePort}]}]"),
            null,
            "spec.components.base.k8s");
    assertThat(out.get(0).at("/spec/type").asText()).isEqualTo("NodePort");
    assertThatThrownBy(
            () ->
                Patcher.apply(
                    objects(), Yaml.tree("hpaSpec: {maxReplicas: 3}\nenv: []"), null, "b.k8s"))
        .isInstanceOf(PatchException.class)
        .hasMessage("b.k8s.env: the component has no workload to apply it to");
  }
}
