package dev.isthmus.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The field-level diff of a change plan: live object against the dry-run result. */
class ChangePlanTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            "what the server maintains is no change",
            "{'metadata':{'name':'a','resourceVersion':'1','generation':1,'uid':'u',"
                + "'creationTimestamp':'t1','managedFields':[{'manager':'x'}]},"
                + "'spec':{'replicas':1},'status':{'readyReplicas':0}}",
            "{'metadata':{'name':'a','resourceVersion':'2','generation':2,'uid':'u',"
                + "'creationTimestamp':'t1','managedFields':[{'manager':'y'}]},"
                + "'spec':{'replicas':1},'status':{'readyReplicas':1}}",
            List.of()),
        Arguments.of(
            "an added label",
            "{'metadata':{'labels':{'app':'x'}}}",
            "{'metadata':{'labels':{'app':'x','edition':'second'}}}",
            List.of("metadata.labels.edition: (none) -> \"second\"")),
        Arguments.of(
            "labels added where there were none show one by one",
            "{'metadata':{'name':'a'}}",
            "{'metadata':{'name':'a','labels':{'x':'1','y.io/z':'2'}}}",
            List.of(
                "metadata.labels.x: (none) -> \"1\"",
                "metadata.labels[\"y.io/z\"]: (none) -> \"2\"")),
        Arguments.of(
            "a removed field and a changed one",
            "{'spec':{'a':1,'b':2}}",
            "{'spec':{'b':3}}",
            List.of("spec.a: 1 -> (none)", "spec.b: 2 -> 3")),
        Arguments.of(
            "a list element by index",
            "{'spec':{'containers':[{'name':'c','image':'i:1'}]}}",
            "{'spec':{'containers':[{'name':'c','image':'i:2'}]}}",
            List.of("spec.containers[0].image: \"i:1\" -> \"i:2\"")),
        Arguments.of(
            "a list that grew is shown whole",
            "{'spec':{'args':['a']}}",
            "{'spec':{'args':['a','b']}}",
            List.of("spec.args: [\"a\"] -> [\"a\",\"b\"]")),
        Arguments.of(
            "keys that are not identifiers are quoted",
            "{'metadata':{'labels':{'app.kubernetes.io/name':'a'}}}",
            "{'metadata':{'labels':{'app.kubernetes.io/name':'b'}}}",
            List.of("metadata.labels[\"app.kubernetes.io/name\"]: \"a\" -> \"b\"")),
        Arguments.of(
            "JSON held in a data field is compared inside",
            "{'data':{'values':'{\\'pilot\\':{\\'replicas\\':1,\\'env\\':{}}}'}}",
            "{'data':{'values':'{\\'pilot\\':{\\'replicas\\':2,\\'env\\':{}}}'}}",
            List.of("data.values.pilot.replicas: 1 -> 2")),
        Arguments.of(
            "a multi-line data field shows its changed lines",
            "{'data':{'mesh':'a: 1\\nb: 2\\n'}}",
            "{'data':{'mesh':'a: 1\\nb: 3\\n'}}",
            List.of("data.mesh#L2: \"b: 2\" -> \"b: 3\"")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void diff(String name, String live, String applied, List<String> expected) {
    assertThat(ChangePlan.diff(json(live), json(applied)).stream().map(Object::toString))
        .containsExactlyElementsOf(expected);
  }

  @Test
  void summaryCountsEachAction() {
    ChangePlan plan =
        new ChangePlan(
            List.of(
                new ChangePlan.Change(ChangePlan.Action.PRUNE, "Service ns/old", List.of()),
                new ChangePlan.Change(ChangePlan.Action.CREATE, "Service ns/a", List.of()),
                new ChangePlan.Change(ChangePlan.Action.CREATE, "Service ns/b", List.of()),
                new ChangePlan.Change(
                    ChangePlan.Action.UPDATE,
                    "Deployment ns/d",
                    ChangePlan.diff(json("{'a':1}"), json("{'a':2}")))));
    assertThat(plan.summary()).isEqualTo("Plan: 2 to create, 1 to update, 1 to prune.");
    assertThat(plan.render())
        .isEqualTo(
            """
            + create Service ns/a
            + create Service ns/b
            ~ update Deployment ns/d
                  a: 1 -> 2
            - prune Service ns/old
            Plan: 2 to create, 1 to update, 1 to prune.
            """);
    assertThat(new ChangePlan(List.of()).isEmpty()).isTrue();
  }

  @Test
  void risksAreWhatTakesSomethingRunningAway() {
    ChangePlan plan =
        new ChangePlan(
            List.of(
                new ChangePlan.Change(ChangePlan.Action.CREATE, "Deployment ns/new", List.of()),
                new ChangePlan.Change(ChangePlan.Action.PRUNE, "Deployment ns/gw", List.of()),
                new ChangePlan.Change(ChangePlan.Action.PRUNE, "Role ns/gw-sds", List.of()),
                new ChangePlan.Change(
                    ChangePlan.Action.UPDATE,
                    "Deployment ns/istiod",
                    ChangePlan.diff(
                        json("{'spec':{'template':{'metadata':{'annotations':{'a':'1'}}}}}"),
                        json("{'spec':{'template':{'metadata':{'annotations':{'a':'2'}}}}}"))),
                new ChangePlan.Change(
                    ChangePlan.Action.UPDATE,
                    "Deployment ns/scaled",
                    ChangePlan.diff(
                        json("{'spec':{'replicas':1}}"), json("{'spec':{'replicas':2}}"))),
                new ChangePlan.Change(
                    ChangePlan.Action.UPDATE,
                    "ConfigMap ns/istio",
                    ChangePlan.diff(json("{'data':{'a':'1'}}"), json("{'data':{'a':'2'}}")))));
    assertThat(plan.risks())
        .containsExactly("update Deployment ns/istiod replaces its pods", "prune Deployment ns/gw");
  }
}
