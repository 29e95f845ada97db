package dev.isthmus.tpath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.isthmus.tpath.PathException.Reason;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table of tree operations. Each row names the Istio tpath test case it corresponds to (Istio's
 * {@code tree_test.go}) or the Isthmus behaviour it pins down; the trees are our own.
 */
class TreePathTest {

  static final ObjectMapper YAML = new YAMLMapper();

  /** Base tree for most rows. */
  static final String MESH =
      """
      mesh:
        gateways:
        - id: east
          weight: 3
        - id: west
          tags: [alpha, beta, gamma_extra]
        empty:
      """;

  enum Op {
    SET,
    UPSERT,
    DELETE,
    GET
  }

  record Row(String name, String base, Op op, String path, String value, String want) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Row set(String name, String base, String path, String value, String want) {
    return new Row(name, base, Op.SET, path, value, want);
  }

  static Row upsert(String name, String base, String path, String value, String want) {
    return new Row(name, base, Op.UPSERT, path, value, want);
  }

  static Row delete(String name, String base, String path, String want) {
    return new Row(name, base, Op.DELETE, path, null, want);
  }

  static Row get(String name, String base, String path, String want) {
    return new Row(name, base, Op.GET, path, null, want);
  }

  static Stream<Arguments> rows() {
    return Stream.of(
            // --- Istio TestWritePathContext ---
            set(
                "AddListEntry (append with [-1])",
                MESH,
                "mesh.gateways.[id:west].tags.[-1]",
                "delta",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, beta,"
                    + " gamma_extra, delta]}], empty: null}"),
            set(
                "ModifyListEntryValue",
                MESH,
                "mesh.gateways.[id:east].weight",
                "5",
                "mesh: {gateways: [{id: east, weight: 5}, {id: west, tags: [alpha, beta,"
                    + " gamma_extra]}], empty: null}"),
            set(
                "ModifyListEntryValueQuoted (text form of a number key)",
                "list: [{port: 80, v: a}, {port: \"443\", v: b}]",
                "list.[port:443].v",
                "c",
                "list: [{port: 80, v: a}, {port: \"443\", v: c}]"),
            set(
                "ModifyListEntryValueNumericKey",
                "list: [{port: 80, v: a}, {port: 443, v: b}]",
                "list.[port:80].v",
                "z",
                "list: [{port: 80, v: z}, {port: 443, v: b}]"),
            set(
                "ModifyListEntry",
                MESH,
                "mesh.gateways.[id:west].tags.[:beta]",
                "bravo",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, bravo,"
                    + " gamma_extra]}], empty: null}"),
            set(
                "ModifyListEntryMapValue",
                MESH,
                "mesh.gateways.[id:west]",
                "{id: west, zones: [{z: 1}, {z: 2}]}",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, zones: [{z: 1}, {z: 2}]}],"
                    + " empty: null}"),
            set(
                "ModifyNthListEntry",
                MESH,
                "mesh.gateways.[1].tags.[:beta]",
                "second",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, second,"
                    + " gamma_extra]}], empty: null}"),
            set(
                "ModifyNthLeafListEntry",
                MESH,
                "mesh.gateways.[1].tags.[2]",
                "third",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, beta, third]}],"
                    + " empty: null}"),
            set(
                "ModifyListEntryValueDotless",
                MESH,
                "mesh.gateways[id:east].weight",
                "7",
                "mesh: {gateways: [{id: east, weight: 7}, {id: west, tags: [alpha, beta,"
                    + " gamma_extra]}], empty: null}"),
            delete(
                "DeleteListEntry",
                MESH,
                "mesh.gateways.[id:east]",
                "mesh: {gateways: [{id: west, tags: [alpha, beta, gamma_extra]}], empty: null}"),
            delete(
                "DeleteListEntryValue",
                MESH,
                "mesh.gateways.[id:west].tags.[:beta]",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, gamma_extra]}],"
                    + " empty: null}"),
            delete(
                "DeleteListEntryIndex",
                MESH,
                "mesh.gateways.[id:west].tags.[1]",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, gamma_extra]}],"
                    + " empty: null}"),
            delete(
                "DeleteListEntryValueRegex",
                MESH,
                "mesh.gateways.[id:west].tags.[:gamma]",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, beta]}], empty:"
                    + " null}"),
            delete(
                "DeleteListLeafEntryBogusIndex",
                MESH,
                "mesh.gateways.[id:west].tags.[-7]",
                "!INDEX_OUT_OF_RANGE:index -7 is below -1 at"
                    + " mesh.gateways.[id:west].tags.[-7]"),
            delete(
                "DeleteListEntryBogusIndex",
                MESH,
                "mesh.gateways.[99].tags.[:beta]",
                "!INDEX_OUT_OF_RANGE:index 99 is out of range for a list of 2 elements at"
                    + " mesh.gateways.[99] (in path mesh.gateways.[99].tags.[:beta])"),
            set(
                "AddMapEntry",
                MESH,
                "mesh.region",
                "eu",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, beta,"
                    + " gamma_extra]}], empty: null, region: eu}"),
            set(
                "AddMapEntryMapValue",
                "mesh: {}",
                "mesh.region",
                "{zone: {id: 1}}",
                "mesh: {region: {zone: {id: 1}}}"),
            set(
                "ModifyMapEntryMapValue",
                MESH,
                "mesh.gateways",
                "{replaced: true}",
                "mesh: {gateways: {replaced: true}, empty: null}"),
            delete("DeleteMapEntry", MESH, "mesh.gateways", "mesh: {empty: null}"),
            get(
                "path not found",
                MESH,
                "mesh.missing.[id:x].tags",
                "!NOT_FOUND:no key missing at mesh.missing (in path mesh.missing.[id:x].tags)"),
            get(
                "error key (empty selector)",
                MESH,
                "mesh.gateways.[].tags",
                "!SYNTAX:empty selector [] at mesh.gateways.[]"),
            get("invalid index (missing parent)", MESH, "mesh.nothere.[west]", "!NOT_FOUND:"),
            set(
                "UpdateNullNode",
                MESH,
                "mesh.empty",
                "{d: n3}",
                "mesh: {gateways: [{id: east, weight: 3}, {id: west, tags: [alpha, beta,"
                    + " gamma_extra]}], empty: {d: n3}}"),
            set("UpdateUnderNullNode", "a: {c: null}", "a.c.d.e", "1", "a: {c: {d: {e: 1}}}"),
            // --- Istio TestWriteNode ---
            set("insert empty", "{}", "a.b.c", "val1", "a: {b: {c: val1}}"),
            set("overwrite", "a: {b: {c: val1, d: x}}", "a.b.c", "val2", "a: {b: {c: val2, d: x}}"),
            set(
                "partial create",
                "a: {b: {c: val1}}",
                "a.b.d",
                "val3",
                "a: {b: {c: val1, d: val3}}"),
            set(
                "list keys (nested selectors)",
                "a: {l1: [{k: x}, {k: y, sub: {l2: [{k: y, leaf: 1}, {k: z}]}}]}",
                "a.l1.[k:y].sub.l2.[k:y].leaf",
                "2",
                "a: {l1: [{k: x}, {k: y, sub: {l2: [{k: y, leaf: 2}, {k: z}]}}]}"),
            set(
                "with initial list",
                "components: {ingressGateways: [{enabled: true}]}",
                "components.ingressGateways[0].enabled",
                "false",
                "components: {ingressGateways: [{enabled: false}]}"),
            set(
                "no initial list",
                "{}",
                "components.ingressGateways[0].enabled",
                "false",
                "components: {ingressGateways: [{enabled: false}]}"),
            set("no initial list for entry", "a: {}", "a.list.[0]", "v1", "a: {list: [v1]}"),
            set(
                "ExtendNthLeafListEntry",
                "a: {list: [v1]}",
                "a.list.[1]",
                "v2",
                "a: {list: [v1, v2]}"),
            set(
                "ExtendLeafListEntryLargeIndex",
                "a: {list: [v1]}",
                "a.list.[999]",
                "v2",
                "a: {list: [v1, v2]}"),
            set(
                "ExtendLeafListEntryNegativeIndex",
                "a: {list: [v1]}",
                "a.list.[-1]",
                "v2",
                "a: {list: [v1, v2]}"),
            set(
                "ExtendNthListEntry",
                "a: {list: [{name: foo}]}",
                "a.list.[1].name",
                "bar",
                "a: {list: [{name: foo}, {name: bar}]}"),
            // --- Istio TestMergeNode: tpath writes replace; merging is a field write or append ---
            set(
                "merge list entry (as a field write)",
                "a: {b: {c: val1, list1: [{i1: val1}, {i2: val2}]}}",
                "a.b.list1.[i1:val1].i2b",
                "val2",
                "a: {b: {c: val1, list1: [{i1: val1, i2b: val2}, {i2: val2}]}}"),
            set(
                "merge list 2 (append a map with [-1])",
                "a: {b: {c: val1, list1: [{i1: val1}, {i2: val2}]}}",
                "a.b.list1.[-1]",
                "{i3: {a: val3}}",
                "a: {b: {c: val1, list1: [{i1: val1}, {i2: val2}, {i3: {a: val3}}]}}"),
            // --- Istio TestWriteEscapedPathContext ---
            set(
                "ModifyEscapedPathValue",
                "values: {annotations: {}}",
                "values.annotations.container\\.apparmor\\.security\\.beta\\.kubernetes\\.io/proxy",
                "runtime/default",
                "values: {annotations: {container.apparmor.security.beta.kubernetes.io/proxy:"
                    + " runtime/default}}"),
            // --- regex-like values (Istio patch_test UpdateListItem / DeleteLeafListLeaf) ---
            set(
                "UpdateListItem (regex prefix)",
                "args: [serve, --interval=1s, --flag]",
                "args.[--interval]",
                "--interval=9s",
                "args: [serve, --interval=9s, --flag]"),
            set(
                "exact value wins over regex (Istio takes the first regex match, abc)",
                "args: [abc, a.c]",
                "args.[:a.c]",
                "X",
                "args: [abc, X]"),
            set(
                "regex fallback selects the first match only",
                "args: [x1, x2]",
                "args.[x]",
                "y",
                "args: [y, x2]"),
            get(
                "invalid regex is a plain no-match",
                "args: [a]",
                "args.[(]",
                "!NO_MATCH:no list element matches [(] at args.[(]"),
            // --- Isthmus improvements and strictness ---
            set(
                "every [k:v] match is written (istio/istio#29230)",
                "l: [{k: a, v: 1}, {k: b, v: 2}, {k: a, v: 3}]",
                "l.[k:a].v",
                "9",
                "l: [{k: a, v: 9}, {k: b, v: 2}, {k: a, v: 9}]"),
            delete(
                "every [k:v] match is deleted",
                "l: [{k: a}, {k: b}, {k: a}, {k: c}]",
                "l.[k:a]",
                "l: [{k: b}, {k: c}]"),
            delete("every equal scalar is deleted", "l: [x, y, x]", "l.[:x]", "l: [y]"),
            upsert(
                "upsert appends a missing [k:v] element (istio/istio#32787)",
                "env: [{name: A, value: a}]",
                "env.[name:B]",
                "{value: b}",
                "env: [{name: A, value: a}, {value: b, name: B}]"),
            upsert(
                "upsert replaces an existing element",
                "env: [{name: A, value: a}]",
                "env.[name:A]",
                "{name: A, value: z}",
                "env: [{name: A, value: z}]"),
            upsert(
                "upsert creates the list",
                "spec: {}",
                "spec.env.[name:B]",
                "{name: B}",
                "spec: {env: [{name: B}]}"),
            upsert(
                "upsert rejects a conflicting key",
                "env: []",
                "env.[name:B]",
                "{name: C}",
                "!INVALID_VALUE:the new element's name is \"C\" but the selector [name:B] names B"),
            upsert(
                "upsert needs a map value",
                "env: []",
                "env.[name:B]",
                "plain",
                "!NO_MATCH:no list element matches [name:B] (a map value"),
            upsert(
                "upsert only at the last segment",
                "env: []",
                "env.[name:B].value",
                "x",
                "!NO_MATCH:no list element matches [name:B] at env.[name:B]"),
            set(
                "set never creates a selected element",
                "spec: {template: {spec: {containers: [{name: a}]}}}",
                "spec.template.spec.containers.[name:foo].image",
                "x",
                "!NO_MATCH:no list element matches [name:foo] at"
                    + " spec.template.spec.containers.[name:foo] (in path"
                    + " spec.template.spec.containers.[name:foo].image)"),
            set(
                "unescaped dots inside a selector are literal",
                "hooks: [{name: a.b.c, x: 1}]",
                "hooks.[name:a.b.c].x",
                "2",
                "hooks: [{name: a.b.c, x: 2}]"),
            set(
                "escaped dots inside a selector (Istio form)",
                "hooks: [{name: a.b.c, x: 1}]",
                "hooks.[name:a\\.b\\.c].x",
                "2",
                "hooks: [{name: a.b.c, x: 2}]"),
            set(
                "escaped colon inside a selector",
                "l: [{'k:1': v, id: x}, {id: 'a:b'}]",
                "l.[id:a\\:b].id",
                "c",
                "l: [{'k:1': v, id: x}, {id: c}]"),
            set(
                "escaped colon in the key part of a selector",
                "l: [{'k:1': v}, {'k:1': w}]",
                "l.[k\\:1:w].n",
                "1",
                "l: [{'k:1': v}, {'k:1': w, n: 1}]"),
            set(
                "key on a list is a type error",
                "a: [1, 2]",
                "a.b",
                "x",
                "!WRONG_TYPE:expected a map for key b but found a list at a.b"),
            set(
                "selector on a map is a type error",
                "a: {b: 1}",
                "a.[name:x]",
                "x",
                "!WRONG_TYPE:expected a list for [name:x] but found a map at a.[name:x]"),
            delete(
                "delete a missing key is an error",
                "a: {b: 1}",
                "a.c",
                "!NOT_FOUND:no key c at a.c"),
            set(
                "failed multi-match write leaves the tree unchanged",
                "l: [{k: a, x: {}}, {k: a, x: str}]",
                "l.[k:a].x.y",
                "1",
                "!WRONG_TYPE:expected a map for key y but found a string at l.[k:a].x.y"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void table(Row row) throws Exception {
    JsonNode root = YAML.readTree(row.base());
    JsonNode before = root.deepCopy();
    TreePath path;
    try {
      path = TreePath.parse(row.path());
    } catch (PathException e) {
      assertError(row, e);
      return;
    }
    JsonNode value = row.value() == null ? null : YAML.readTree(row.value());
    if (row.want().startsWith("!")) {
      PathException e =
          catchThrowableOfType(PathException.class, () -> run(row.op(), path, root, value));
      assertThat(e).as("expected a PathException").isNotNull();
      assertError(row, e);
      assertThat(root).as("tree unchanged after failure").isEqualTo(before);
      return;
    }
    JsonNode got = run(row.op(), path, root, value);
    JsonNode want = YAML.readTree(row.want());
    if (row.op() == Op.GET) {
      assertThat(got).isEqualTo(want);
    } else {
      assertThat(root).isEqualTo(want);
    }
  }

  private static JsonNode run(Op op, TreePath path, JsonNode root, JsonNode value) {
    switch (op) {
      case SET -> path.set(root, value);
      case UPSERT -> path.upsert(root, value);
      case DELETE -> path.delete(root);
      case GET -> {
        return path.get(root);
      }
    }
    return null;
  }

  private static void assertError(Row row, PathException e) {
    assertThat(row.want()).as("unexpected error: " + e.getMessage()).startsWith("!");
    int colon = row.want().indexOf(':');
    Reason reason = Reason.valueOf(row.want().substring(1, colon));
    String message = row.want().substring(colon + 1);
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
    assertThat(e.getMessage()).startsWith(message);
    assertThat(e.path()).isEqualTo(row.path());
  }

  @org.junit.jupiter.api.Test
  void getAllReturnsEveryMatchInOrder() throws Exception {
    JsonNode root = YAML.readTree("l: [{k: a, v: 1}, {k: b, v: 2}, {k: a, v: 3}]");
    assertThat(TreePath.parse("l.[k:a].v").getAll(root))
        .extracting(JsonNode::asInt)
        .containsExactly(1, 3);
  }

  @org.junit.jupiter.api.Test
  void findIsEmptyForMissingButThrowsOnWrongType() throws Exception {
    JsonNode root = YAML.readTree("a: {b: [1]}");
    assertThat(TreePath.parse("a.c.d").find(root)).isEmpty();
    assertThat(TreePath.parse("a.b.[5]").find(root)).isEmpty();
    assertThat(TreePath.parse("a.b.[0]").find(root)).contains(YAML.readTree("1"));
    assertThatThrownBy(() -> TreePath.parse("a.b.c").find(root))
        .isInstanceOf(PathException.class)
        .hasMessage("expected a map for key c but found a list at a.b.c");
  }

  @org.junit.jupiter.api.Test
  void secretVolumesBuiltBySuccessiveSets() throws Exception {
    // Istio TestSecretVolumes: successive --set writes grow a list element by element.
    JsonNode root = YAML.readTree("values: {gw: {secretVolumes: []}}");
    String[][] sets = {
      {"[0].name", "a"}, {"[0].secretName", "sa"}, {"[1].name", "b"}, {"[1].secretName", "sb"},
    };
    for (String[] s : sets) {
      TreePath.parse("values.gw.secretVolumes" + s[0])
          .set(root, com.fasterxml.jackson.databind.node.TextNode.valueOf(s[1]));
    }
    assertThat(root)
        .isEqualTo(
            YAML.readTree(
                "values: {gw: {secretVolumes: [{name: a, secretName: sa}, {name: b, secretName:"
                    + " sb}]}}"));
  }
}
