package dev.isthmus.controlplane.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Edits of JSON documents for fuzzing: each edit picks a node of the document (by its position in a
 * pre-order walk) and replaces it by a value of another type, removes it, adds a key next to it or
 * nests it deeper. Edits are plain numbers so that jqwik shrinks a failure to few, small edits.
 */
final class JsonMutations {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonMutations() {}

  /** One edit: which node, what to do, with which value. */
  record Edit(int node, int op, int value) {}

  static Arbitrary<List<Edit>> edits(int max) {
    return Combinators.combine(
            Arbitraries.integers().between(0, 10_000),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, VALUES.size() - 1))
        .as(Edit::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(max);
  }

  /** Values of every JSON type, and strings and numbers that parsers choke on. */
  static final List<JsonNode> VALUES =
      List.of(
          NODES.nullNode(),
          NODES.booleanNode(true),
          NODES.textNode(""),
          NODES.textNode("x"),
          NODES.textNode("-1"),
          NODES.textNode("99999999999999999999"),
          NODES.textNode("1.5Gi"),
          NODES.textNode("not a number"),
          NODES.textNode("[a-z"),
          NODES.textNode("a/b/c"),
          NODES.textNode("::1"),
          NODES.textNode("*"),
          NODES.textNode("x".repeat(100_000)),
          NODES.numberNode(0),
          NODES.numberNode(-1),
          NODES.numberNode(1.5),
          NODES.numberNode(Long.MAX_VALUE),
          NODES.numberNode(Double.MAX_VALUE),
          NODES.numberNode(new BigInteger("123456789012345678901234567890")),
          NODES.arrayNode(),
          NODES.objectNode(),
          NODES.arrayNode().add(1).add("a").addNull(),
          NODES.objectNode().put("a", 1).set("b", NODES.arrayNode()),
          nested(500));

  private static JsonNode nested(int depth) {
    JsonNode n = NODES.textNode("deep");
    for (int i = 0; i < depth; i++) {
      n = i % 2 == 0 ? NODES.arrayNode().add(n) : NODES.objectNode().set("a", n);
    }
    return n;
  }

  /** A copy of {@code doc} with the edits applied in order. */
  static JsonNode apply(JsonNode doc, List<Edit> edits) {
    JsonNode root = doc.deepCopy();
    for (Edit e : edits) {
      List<JsonNode[]> slots = new ArrayList<>();
      walk(root, slots);
      if (slots.isEmpty()) {
        return VALUES.get(e.value());
      }
      JsonNode[] slot = slots.get(e.node() % slots.size());
      JsonNode parent = slot[0];
      JsonNode child = slot[1];
      JsonNode value = VALUES.get(e.value()).deepCopy();
      switch (e.op()) {
        case 0, 1 -> replace(parent, child, value);
        case 2 -> remove(parent, child);
        case 3 -> {
          if (parent instanceof ObjectNode o) {
            o.set("fuzz" + e.value(), value);
          } else {
            ((ArrayNode) parent).add(value);
          }
        }
        case 4 -> replace(parent, child, NODES.arrayNode().add(child.deepCopy()));
        default -> {
          if (child.isContainerNode()) {
            replace(parent, child, child.isObject() ? NODES.arrayNode() : NODES.objectNode());
          } else {
            replace(parent, child, NODES.textNode(child.asText() + child.asText()));
          }
        }
      }
    }
    return root;
  }

  /** The JSON text of {@code doc}, cut or with a byte changed when {@code cut} asks for it. */
  static byte[] bytes(JsonNode doc, int cut) {
    byte[] b = doc.toString().getBytes(StandardCharsets.UTF_8);
    if (cut <= 0 || b.length == 0) {
      return b;
    }
    int at = (int) ((long) cut * b.length / 1001);
    if (cut % 2 == 0) {
      byte[] shorter = new byte[at];
      System.arraycopy(b, 0, shorter, 0, at);
      return shorter;
    }
    String junk = "{}[]\",:\\0x\u0000";
    b[at] = (byte) junk.charAt(cut % junk.length());
    return b;
  }

  private static void walk(JsonNode n, List<JsonNode[]> slots) {
    if (n instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        JsonNode c = it.next().getValue();
        slots.add(new JsonNode[] {o, c});
        walk(c, slots);
      }
    } else if (n instanceof ArrayNode a) {
      for (JsonNode c : a) {
        slots.add(new JsonNode[] {a, c});
        walk(c, slots);
      }
    }
  }

  private static void replace(JsonNode parent, JsonNode child, JsonNode value) {
    if (parent instanceof ObjectNode o) {
      o.fields()
          .forEachRemaining(
              f -> {
                if (f.getValue() == child) {
                  f.setValue(value);
                }
              });
    } else {
      ArrayNode a = (ArrayNode) parent;
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i) == child) {
          a.set(i, value);
        }
      }
    }
  }

  private static void remove(JsonNode parent, JsonNode child) {
    if (parent instanceof ObjectNode o) {
      o.properties().removeIf(f -> f.getValue() == child);
    } else {
      ArrayNode a = (ArrayNode) parent;
      for (int i = a.size() - 1; i >= 0; i--) {
        if (a.get(i) == child) {
          a.remove(i);
        }
      }
    }
  }
}
