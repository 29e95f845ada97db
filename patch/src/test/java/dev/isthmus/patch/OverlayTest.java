package dev.isthmus.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table of overlays on one rendered object. Row names in the first two groups are the case names of
 * Istio's {@code patch_test.go}; the objects and values are our own.
 */
class OverlayTest {

  static final String HEADER = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";

  static final String ITEMS =
      HEADER
          + """
          x:
            items:
            - id: i1
              val: one
            - id: i2
              words: [red, green, blue_ish]
            hole:
          """;

  static final String APP =
      HEADER
          + """
          spec:
            template:
              spec:
                containers:
                - name: sidecar
                  image: old
                - name: app
                  ports:
                  - containerPort: 80
                  - containerPort: 9090
                  - containerPort: 9901
                  command: [/bin/app, serve, --config=/etc/app, --probeInterval=2s, --webhooks]
          """;

  record Row(String name, String base, String k8s, String want) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** A k8s block with one overlay on Deployment web holding the given patches (YAML list). */
  static String patches(String patchesYaml) {
    return "overlays:\n- kind: Deployment\n  name: web\n  patches:\n"
        + patchesYaml.indent(2).stripTrailing();
  }

  static String patch(String path, String value) {
    return patches("- path: '" + path + "'\n" + (value == null ? "" : "  value: " + value + "\n"));
  }

  /** The base with {@code from} replaced by {@code to} (the expected result). */
  static String edit(String base, String from, String to) {
    assertThat(base).contains(from);
    return base.replace(from, to);
  }

  static Stream<Row> rows() {
    return Stream.of(
        // --- Istio TestPatchYAMLManifestSuccess ---
        new Row(
            "ModifyListEntryValue",
            ITEMS,
            patch("x.items.[id:i1].val", "uno"),
            edit(ITEMS, "val: one", "val: uno")),
        new Row(
            "ModifyListEntryValueQuoted (a quoted number stays a string)",
            ITEMS,
            patch("x.items.[id:i1].val", "\"42\""),
            edit(ITEMS, "val: one", "val: \"42\"")),
        new Row(
            "ModifyListEntry",
            ITEMS,
            patch("x.items.[id:i2].words.[green]", "verde"),
            edit(ITEMS, "[red, green, blue_ish]", "[red, verde, blue_ish]")),
        new Row(
            "DeleteListEntry",
            ITEMS,
            patch("x.items.[id:i1]", null),
            edit(ITEMS, "  - id: i1\n    val: one\n", "")),
        new Row(
            "DeleteListEntryValue",
            ITEMS,
            patch("x.items.[id:i2].words.[green]", null),
            edit(ITEMS, "[red, green, blue_ish]", "[red, blue_ish]")),
        new Row(
            "DeleteListEntryValueRegex",
            ITEMS,
            patch("x.items.[id:i2].words.[blue]", null),
            edit(ITEMS, "[red, green, blue_ish]", "[red, green]")),
        new Row(
            "UpdateNullNode (YAML map in a string)",
            ITEMS,
            patch("x.hole", "|\n    e: f\n    g: [1]"),
            edit(ITEMS, "hole:", "hole: {e: f, g: [1]}")),
        new Row(
            "AppendToListEntry",
            ITEMS,
            patch("x.items.[id:i2].words.[3]", "cyan"),
            edit(ITEMS, "[red, green, blue_ish]", "[red, green, blue_ish, cyan]")),
        // --- Istio TestPatchYAMLManifestRealYAMLSuccess ---
        new Row(
            "DeleteLeafListLeaf",
            APP,
            patch("spec.template.spec.containers.[name:app].command.[--webhooks]", null),
            edit(APP, ", --webhooks]", "]")),
        new Row(
            "UpdateListItem",
            APP,
            patch(
                "spec.template.spec.containers.[name:app].command.[--probeInterval]",
                "--probeInterval=5s"),
            edit(APP, "--probeInterval=2s", "--probeInterval=5s")),
        new Row(
            "UpdateLeaf",
            APP,
            patch(
                "spec.template.spec.containers.[name:app].ports.[containerPort:9090].containerPort",
                "9191"),
            edit(APP, "containerPort: 9090", "containerPort: 9191")),
        new Row(
            "DeleteLeafList",
            APP,
            patch("spec.template.spec.containers.[name:app].ports.[containerPort:9901]", null),
            edit(APP, "        - containerPort: 9901\n", "")),
        new Row(
            "DeleteInternalNode",
            APP,
            patch("spec.template.spec.containers.[name:sidecar]", null),
            edit(APP, "      - name: sidecar\n        image: old\n", "")),
        new Row(
            "DeleteLeafListEntry",
            APP,
            patch("spec.template.spec.containers.[name:app].command.[:serve]", null),
            edit(APP, "/bin/app, serve,", "/bin/app,")),
        new Row(
            "UpdateInteriorNode (replaces the element)",
            APP,
            patch(
                "spec.template.spec.containers.[name:app].ports.[containerPort:9090]",
                "|\n    metricsPort: 9091"),
            edit(APP, "- containerPort: 9090", "- metricsPort: 9091")),
        // --- beyond Istio ---
        new Row(
            "EveryMatchIsPatched (istio/istio#29230)",
            HEADER + "x: {l: [{k: a, v: 1}, {k: b, v: 2}, {k: a, v: 3}]}",
            patch("x.l.[k:a].v", "0"),
            HEADER + "x: {l: [{k: a, v: 0}, {k: b, v: 2}, {k: a, v: 0}]}"),
        new Row(
            "EveryMatchIsDeleted",
            HEADER + "x: {l: [{k: a}, {k: b}, {k: a}]}",
            patch("x.l.[k:a]", null),
            HEADER + "x: {l: [{k: b}]}"),
        new Row(
            "UpsertAddsMissingElement (istio/istio#32787)",
            APP,
            patch("spec.template.spec.containers.[name:app].env.[name:MODE]", "{value: fast}"),
            edit(
                APP,
                "  - name: app\n",
                "  - name: app\n        env: [{name: MODE, value: fast}]\n")),
        new Row(
            "UpsertAddsMissingContainer",
            APP,
            patch("spec.template.spec.containers.[name:extra]", "{image: busybox}"),
            APP + "      - {name: extra, image: busybox}\n"),
        new Row(
            "UpsertRejectsAConflictingKey",
            APP,
            patch("spec.template.spec.containers.[name:extra]", "{name: other}"),
            "!k8s.overlays[0].patches[0].path: the new element's name is \"other\" but the"
                + " selector [name:extra] names extra at spec.template.spec.containers.[name:extra]"),
        new Row(
            "MissingElementWithScalarValueIsAnError",
            APP,
            patch("spec.template.spec.containers.[name:foo].image", "x"),
            "!k8s.overlays[0].patches[0].path: no list element matches [name:foo] at"
                + " spec.template.spec.containers.[name:foo] (in path"
                + " spec.template.spec.containers.[name:foo].image)"),
        new Row(
            "ScalarOntoListIsRejected (istio/istio#34024)",
            APP,
            patch("spec.template.spec.containers.[name:app].command", "--verbose"),
            "!k8s.overlays[0].patches[0].value: path"
                + " spec.template.spec.containers.[name:app].command names a list: give a list to"
                + " replace it whole, or add an element with"
                + " spec.template.spec.containers.[name:app].command.[-1]"),
        new Row(
            "MapOntoListIsRejected",
            APP,
            patch("spec.template.spec.containers.[name:app].ports", "{containerPort: 1}"),
            "!k8s.overlays[0].patches[0].value: path"
                + " spec.template.spec.containers.[name:app].ports names a list"),
        new Row(
            "ListReplacesWholeList",
            APP,
            patch("spec.template.spec.containers.[name:app].command", "[/bin/other]"),
            edit(
                APP,
                "[/bin/app, serve, --config=/etc/app, --probeInterval=2s, --webhooks]",
                "[/bin/other]")),
        new Row(
            "AppendWithMinusOne",
            APP,
            patch("spec.template.spec.containers.[name:app].command.[-1]", "--verbose"),
            edit(APP, "--webhooks]", "--webhooks, --verbose]")),
        new Row(
            "DeletingNothingIsAnError",
            APP,
            patch("spec.template.spec.securityContext", null),
            "!k8s.overlays[0].patches[0].path: no key securityContext at"
                + " spec.template.spec.securityContext"),
        new Row(
            "BadPathSyntax",
            APP,
            patch("spec.[", "1"),
            "!k8s.overlays[0].patches[0].path: unterminated selector [ at spec.["),
        new Row(
            "OverlayNamingAMissingObject",
            APP,
            "overlays: [{kind: Deployment, name: nope, patches: [{path: a, value: 1}]}]",
            "!k8s.overlays[0]: no rendered object is a Deployment named nope"),
        new Row(
            "OverlayApiVersionGroupMustMatchWhenGiven",
            APP,
            "overlays: [{apiVersion: extensions/v1beta1, kind: Deployment, name: web, patches:"
                + " []}]",
            "!k8s.overlays[0]: no rendered object is a Deployment named web in API group of"
                + " extensions/v1beta1"),
        new Row(
            "OverlayApiVersionVersionIsIgnored (as Istio ignores apiVersion)",
            APP,
            "overlays: [{apiVersion: apps/v1beta2, kind: Deployment, name: web, patches: [{path:"
                + " metadata.labels.a, value: b}]}]",
            edit(APP, "metadata: {name: web}", "metadata: {name: web, labels: {a: b}}")),
        new Row(
            "OverlayApiVersionMatches",
            APP,
            "overlays: [{apiVersion: apps/v1, kind: Deployment, name: web, patches: [{path:"
                + " metadata.labels.a, value: b}]}]",
            edit(APP, "metadata: {name: web}", "metadata: {name: web, labels: {a: b}}")),
        new Row(
            "OverlayMissingKind",
            APP,
            "overlays: [{name: web}]",
            "!k8s.overlays[0].kind: required"),
        new Row(
            "OverlayUnknownField",
            APP,
            "overlays: [{kind: Deployment, name: web, patch: []}]",
            "!k8s.overlays[0].patch: unknown field"),
        new Row(
            "JsonPatch (RFC 6902)",
            APP,
            "overlays: [{kind: Deployment, name: web, jsonPatch: [{op: replace, path:"
                + " /spec/template/spec/containers/0/image, value: new}, {op: add, path:"
                + " /metadata/labels, value: {a: b}}]}]",
            edit(APP, "image: old", "image: new")
                .replace("metadata: {name: web}", "metadata: {name: web, labels: {a: b}}")),
        new Row(
            "JsonPatchFailedTestIsAnError",
            APP,
            "overlays: [{kind: Deployment, name: web, jsonPatch: [{op: test, path:"
                + " /spec/template/spec/containers/0/image, value: other}]}]",
            "!k8s.overlays[0].jsonPatch: "),
        new Row(
            "JsonPatchMustBeAList",
            APP,
            "overlays: [{kind: Deployment, name: web, jsonPatch: {op: remove}}]",
            "!k8s.overlays[0].jsonPatch: expected a list of RFC 6902 operations"),
        new Row(
            "MergePatch (RFC 7386)",
            APP,
            "overlays: [{kind: Deployment, name: web, mergePatch: {metadata: {labels: {a: b}},"
                + " spec: {template: {spec: {containers: [{name: only}]}}}}}]",
            HEADER.replace("metadata: {name: web}", "metadata: {name: web, labels: {a: b}}")
                + "spec: {template: {spec: {containers: [{name: only}]}}}"),
        new Row(
            "PatchesThenJsonPatchThenMergePatch",
            APP,
            "overlays: [{kind: Deployment, name: web, patches: [{path: metadata.labels.a, value:"
                + " '1'}], jsonPatch: [{op: test, path: /metadata/labels/a, value: '1'}, {op:"
                + " replace, path: /metadata/labels/a, value: '2'}], mergePatch: {metadata:"
                + " {labels: {b: '3'}}}}]",
            edit(APP, "metadata: {name: web}", "metadata: {name: web, labels: {a: '2', b: '3'}}")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void table(Row row) {
    ObjectNode base = Yaml.obj(row.base());
    ObjectNode before = base.deepCopy();
    JsonNode k8s = Yaml.tree(row.k8s());
    PatchTarget target = new PatchTarget("Deployment", "web", "app", null);
    if (row.want().startsWith("!")) {
      PatchException e =
          catchThrowableOfType(
              PatchException.class, () -> Patcher.apply(List.of(base), k8s, target, "k8s"));
      assertThat(e).as("expected a PatchException").isNotNull();
      assertThat(e.getMessage()).startsWith(row.want().substring(1));
      assertThat(row.want().substring(1)).startsWith(e.fieldPath() + ": ");
    } else {
      List<ObjectNode> out = Patcher.apply(List.of(base), k8s, target, "k8s");
      assertThat(out).containsExactly(Yaml.obj(row.want()));
    }
    assertThat(base).as("input untouched").isEqualTo(before);
  }
}
