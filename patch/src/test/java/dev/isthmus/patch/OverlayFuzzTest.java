package dev.isthmus.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * {@code k8s} blocks are user input: for any block, {@link Patcher#apply} must return patched
 * copies or throw a {@link PatchException} with a field path, never another exception, and never
 * touch its input. Inputs are the rows of {@link OverlayTest} and {@link PatcherTest}'s objects
 * with their patch paths edited, their values replaced by values of other types, and fields of the
 * block replaced or dropped.
 */
class OverlayFuzzTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Duration BUDGET = Duration.ofSeconds(10);
  private static final List<OverlayTest.Row> ROWS = OverlayTest.rows().toList();
  private static final PatchTarget TARGET = new PatchTarget("Deployment", "web", "app", null);

  private static final List<String> PATH_TOKENS =
      List.of(
          ".",
          "[",
          "]",
          ":",
          "\\",
          "[0]",
          "[-1]",
          "[-5]",
          "[99999999999]",
          "[name:app]",
          "[:80]",
          "[x]",
          "[.*]",
          "[(]",
          "..",
          "[]",
          "spec",
          "metadata",
          "\u00e9",
          "",
          "0");

  private static final List<JsonNode> VALUES =
      List.of(
          NODES.nullNode(),
          NODES.booleanNode(true),
          NODES.textNode(""),
          NODES.textNode("x"),
          NODES.textNode("|\n  a: [1"),
          NODES.textNode("{a: b}"),
          NODES.textNode("- a\n- b"),
          NODES.numberNode(-1),
          NODES.numberNode(1.5),
          NODES.arrayNode(),
          NODES.objectNode(),
          NODES
              .arrayNode()
              .add(NODES.objectNode().put("op", "add").put("path", "/x").put("value", 1)),
          NODES
              .arrayNode()
              .add(NODES.objectNode().put("op", "move").put("from", "/a").put("path", "/a/b")),
          NODES.objectNode().put("name", "x").put("path", "spec").set("value", NODES.arrayNode()));

  /** One edit: which node of the block, what to do, an operand. */
  record Edit(int node, int op, int operand) {}

  @Provide
  Arbitrary<List<Edit>> edits() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 10_000),
            Arbitraries.integers().between(0, 4),
            Arbitraries.integers().between(0, 10_000))
        .as(Edit::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4);
  }

  @Provide
  Arbitrary<Integer> row() {
    return Arbitraries.integers().between(0, ROWS.size() - 1);
  }

  @Property
  void editedBlocksFailOnlyWithPatchException(
      @ForAll("row") int row, @ForAll("edits") List<Edit> edits) {
    OverlayTest.Row r = ROWS.get(row);
    ObjectNode base = Yaml.obj(r.base());
    JsonNode k8s = Yaml.tree(r.k8s());
    for (Edit e : edits) {
      k8s = apply(k8s, e);
    }
    check(base, k8s);
  }

  static void check(ObjectNode base, JsonNode k8s) {
    ObjectNode before = base.deepCopy();
    String outcome =
        assertTimeoutPreemptively(
            BUDGET,
            () -> {
              try {
                Patcher.apply(List.of(base), k8s, TARGET, "k8s");
                return "applied";
              } catch (PatchException e) {
                assertThat(e.fieldPath()).startsWith("k8s");
                assertThat(e.getMessage()).startsWith(e.fieldPath() + ": ");
                return "rejected";
              }
            },
            () -> "no result within " + BUDGET + " for " + k8s);
    assertThat(base).as("input untouched").isEqualTo(before);
    Statistics.label("outcome").collect(outcome);
  }

  /** Applies one edit; the root may be replaced, so the new root is returned. */
  private static JsonNode apply(JsonNode root, Edit e) {
    List<JsonNode[]> slots = new ArrayList<>();
    walk(root, slots);
    if (slots.isEmpty()) {
      return VALUES.get(e.operand() % VALUES.size()).deepCopy();
    }
    JsonNode[] slot = slots.get(e.node() % slots.size());
    JsonNode parent = slot[0];
    String key = slot[1].asText();
    int index = slot[2].asInt();
    JsonNode child = parent instanceof ObjectNode o ? o.get(key) : parent.get(index);
    JsonNode replacement =
        switch (e.op()) {
          case 0 -> VALUES.get(e.operand() % VALUES.size()).deepCopy();
          case 1 -> null;
          case 2 -> NODES.arrayNode().add(child.deepCopy());
          default -> {
            if (child.isTextual()) {
              // most strings in a k8s block are paths: edit them with path grammar
              String s = child.asText();
              int at = e.operand() % (s.length() + 1);
              yield NODES.textNode(
                  s.substring(0, at)
                      + PATH_TOKENS.get(e.operand() % PATH_TOKENS.size())
                      + s.substring(Math.min(s.length(), at + e.op() - 2)));
            }
            yield VALUES.get(e.operand() % VALUES.size()).deepCopy();
          }
        };
    if (parent instanceof ObjectNode o) {
      if (replacement == null) {
        o.remove(key);
      } else {
        o.set(key, replacement);
      }
    } else {
      ArrayNode a = (ArrayNode) parent;
      if (replacement == null) {
        a.remove(index);
      } else {
        a.set(index, replacement);
      }
    }
    return root;
  }

  /** Every (parent, key or index) slot under {@code n}. */
  private static void walk(JsonNode n, List<JsonNode[]> slots) {
    if (n instanceof ObjectNode o) {
      o.fieldNames()
          .forEachRemaining(
              k -> {
                slots.add(new JsonNode[] {o, NODES.textNode(k), NODES.numberNode(-1)});
                walk(o.get(k), slots);
              });
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        slots.add(new JsonNode[] {a, NODES.textNode(""), NODES.numberNode(i)});
        walk(a.get(i), slots);
      }
    }
  }
}
