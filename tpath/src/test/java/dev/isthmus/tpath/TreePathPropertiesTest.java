package dev.isthmus.tpath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties over random trees: the tree is generated from a seed (so a failure names a
 * reproducible seed), paths are built from the tree itself.
 */
class TreePathPropertiesTest {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String KEY_CHARS = "abk.:[]\\-0";

  /** A path to an existing node: ends at a map key, a list index or a [k:v] selection. */
  @Property(tries = 400)
  void setThenGetReturnsTheValue(@ForAll long seed) {
    Random r = new Random(seed);
    ObjectNode root = randomMap(r, 0);
    String path = randomPath(r, root, true);
    // null when the path names a new key next to a selector's own key
    JsonNode existing = TreePath.parse(path).find(root).orElse(null);
    boolean extend = existing != null && existing.isObject() ? r.nextBoolean() : r.nextInt(4) == 0;
    if (extend) {
      // also exercise creation of missing map keys below the chosen node ('x' is in no key)
      path = path + "." + TreePath.escapeKey(randomKey(r)) + "x." + TreePath.escapeKey("new");
    }
    JsonNode value = randomValue(r, 0);
    TreePath p = TreePath.parse(path);
    ObjectNode before = root.deepCopy();
    if (extend && existing != null && !existing.isObject()) {
      // below a scalar or a list there is no map to create keys in: typed error, tree unchanged
      PathException e = catchThrowableOfType(PathException.class, () -> p.set(root, value));
      assertThat(e).as(path).isNotNull();
      assertThat(e.reason()).isEqualTo(PathException.Reason.WRONG_TYPE);
      assertThat(root).isEqualTo(before);
      Statistics.label("outcome")
          .collect("rejected below a " + (existing.isArray() ? "list" : "scalar"));
      return;
    }
    p.set(root, value);
    assertThat(p.get(root)).as(path).isEqualTo(value);
    Statistics.label("outcome").collect(extend ? "written with creation" : "written");
    Statistics.label("selector").collect(path.contains("[name:") ? "with [name:v]" : "without");
    Statistics.label("outcome")
        .coverage(c -> c.check("written with creation").count((Integer n) -> n > 0));
    Statistics.label("selector")
        .coverage(c -> c.check("with [name:v]").count((Integer n) -> n > 0));
  }

  @Property(tries = 400)
  void deleteThenGetFails(@ForAll long seed) {
    Random r = new Random(seed);
    ObjectNode root = randomMap(r, 0);
    String path = randomPath(r, root, false);
    TreePath p = TreePath.parse(path);
    assertThat(p.getAll(root)).isNotEmpty();
    assertThat(p.delete(root)).isPositive();
    assertThat(p.find(root)).as(path).isEmpty();
    Statistics.label("ends with").collect(path.endsWith("]") ? "a selector" : "a key");
    Statistics.label("ends with").coverage(c -> c.check("a selector").count((Integer n) -> n > 10));
  }

  @Property(tries = 1000)
  void invalidPathsOnlyThrowPathException(
      @ForAll
          @StringLength(max = 24)
          @Chars({'.', '[', ']', ':', '\\', '-', 'a', 'k'})
          @CharRange(from = '0', to = '2')
          String path,
      @ForAll long seed) {
    Random r = new Random(seed);
    ObjectNode root = randomMap(r, 0);
    JsonNode value = randomValue(r, 0);
    try {
      TreePath p = TreePath.parse(path);
      switch (r.nextInt(5)) {
        case 0 -> p.get(root);
        case 1 -> p.find(root);
        case 2 -> p.set(root, value);
        case 3 -> p.upsert(root, value);
        default -> p.delete(root);
      }
      Statistics.label("result").collect("parsed and applied");
    } catch (PathException e) {
      assertThat(e.path()).isEqualTo(path);
      assertThat(e.getMessage()).isNotBlank();
      Statistics.label("result").collect(e.reason().name());
    }
  }

  // --- generators ---

  static ObjectNode randomMap(Random r, int depth) {
    ObjectNode m = NODES.objectNode();
    int n = 1 + r.nextInt(depth == 0 ? 4 : 3);
    for (int i = 0; i < n; i++) {
      m.set(randomKey(r), randomValue(r, depth + 1));
    }
    return m;
  }

  static JsonNode randomValue(Random r, int depth) {
    int choice = depth >= 4 ? 3 + r.nextInt(4) : r.nextInt(7);
    return switch (choice) {
      case 0 -> randomMap(r, depth);
      case 1 -> {
        ArrayNode a = NODES.arrayNode();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          ObjectNode e = randomMap(r, depth + 1);
          e.put("name", "n" + i);
          a.add(e);
        }
        yield a;
      }
      case 2 -> {
        ArrayNode a = NODES.arrayNode();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          a.add(randomScalar(r));
        }
        yield a;
      }
      default -> randomScalar(r);
    };
  }

  static JsonNode randomScalar(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> NODES.numberNode(r.nextInt(100));
      case 1 -> NODES.booleanNode(r.nextBoolean());
      case 2 -> NODES.textNode(randomKey(r));
      default -> NODES.textNode("v" + r.nextInt(10));
    };
  }

  static boolean regexMatchesAnother(ArrayNode arr, String text) {
    java.util.regex.Pattern pattern;
    try {
      pattern = java.util.regex.Pattern.compile(text);
    } catch (java.util.regex.PatternSyntaxException e) {
      return false;
    }
    for (JsonNode other : arr) {
      if (other.isValueNode()
          && !other.asText().equals(text)
          && pattern.matcher(other.asText()).find()) {
        return true;
      }
    }
    return false;
  }

  static String randomKey(Random r) {
    StringBuilder b = new StringBuilder();
    int n = 1 + r.nextInt(4);
    for (int i = 0; i < n; i++) {
      b.append(KEY_CHARS.charAt(r.nextInt(KEY_CHARS.length())));
    }
    return b.toString();
  }

  /**
   * Walks down from the root choosing children at random and returns a path naming the node it
   * stops at. For {@code forSet}, the path never ends at a selector (the written value would no
   * longer match it); otherwise it never ends at an index (deleting [0] leaves a new [0]).
   */
  static String randomPath(Random r, ObjectNode root, boolean forSet) {
    List<String> parts = new ArrayList<>();
    JsonNode cur = root;
    String lastMatchKey = null;
    while (true) {
      if (cur instanceof ObjectNode obj && obj.size() > 0) {
        List<String> keys = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
        it.forEachRemaining(e -> keys.add(e.getKey()));
        String k = keys.get(r.nextInt(keys.size()));
        if (forSet && k.equals(lastMatchKey)) {
          // writing the selector's own key would make the selector stop matching
          return String.join(".", parts) + "." + TreePath.escapeKey(k + "-other");
        }
        parts.add(TreePath.escapeKey(k));
        lastMatchKey = null;
        cur = obj.get(k);
      } else if (cur instanceof ArrayNode arr && arr.size() > 0) {
        int i = r.nextInt(arr.size());
        JsonNode e = arr.get(i);
        if (e.isObject() && e.has("name") && (r.nextInt(4) > 0 || !forSet)) {
          parts.add("[name:" + TreePath.escapeSelectorValue(e.get("name").asText()) + "]");
          lastMatchKey = "name";
        } else if (!forSet && e.isValueNode()) {
          if (regexMatchesAnother(arr, e.asText())) {
            // after the equal elements go, Istio's regex fallback would select another one
            return String.join(".", parts);
          }
          parts.add("[:" + TreePath.escapeSelectorValue(e.asText()) + "]");
          return String.join(".", parts);
        } else if (forSet) {
          parts.add("[" + i + "]");
          lastMatchKey = null;
        } else {
          // an index selection followed by nothing would be unstable for delete; go on below it
          parts.add("[" + i + "]");
          if (!e.isContainerNode() || e.size() == 0) {
            parts.remove(parts.size() - 1);
            return String.join(".", parts);
          }
        }
        cur = e;
        continue;
      } else {
        return String.join(".", parts);
      }
      if (r.nextInt(3) == 0) {
        boolean endsAtSelector = parts.get(parts.size() - 1).startsWith("[");
        boolean endsAtIndex = parts.get(parts.size() - 1).matches("\\[-?[0-9]+]");
        if ((forSet && !endsAtSelector) || (!forSet && !endsAtIndex)) {
          return String.join(".", parts);
        }
      }
    }
  }
}
