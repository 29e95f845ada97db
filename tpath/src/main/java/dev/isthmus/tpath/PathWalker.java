package dev.isthmus.tpath;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.tpath.PathException.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code PathWalker} resolves a path against a tree into the slots (map entries or list positions)
 * it names. Writes create missing containers on the way when {@code apply} is true; with {@code
 * apply} false they build detached containers instead, so a dry run reports every error without
 * touching the tree.
 */
final class PathWalker {

  enum Op {
    GET,
    SET,
    UPSERT,
    DELETE
  }

  /** Index meaning "append to the list". */
  static final int APPEND = -1;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final String text;
  private final List<Segment> segments;
  private final Op op;
  private final boolean apply;

  PathWalker(String text, List<Segment> segments, Op op, boolean apply) {
    this.text = text;
    this.segments = segments;
    this.op = op;
    this.apply = apply;
  }

  /** One place in the tree that a path names. */
  final class Slot {
    private final JsonNode parent;
    private final String key;
    private final int index;
    private final JsonNode value;
    private final Segment.Match upsert;
    private final int depth;

    Slot(JsonNode parent, String key, int index, JsonNode value, Segment.Match upsert, int depth) {
      this.parent = parent;
      this.key = key;
      this.index = index;
      this.value = value;
      this.upsert = upsert;
      this.depth = depth;
    }

    JsonNode value() {
      return value;
    }

    String upsertKey() {
      return upsert == null ? null : upsert.key();
    }

    String upsertValue() {
      return upsert == null ? null : upsert.value();
    }

    /** Checks that {@code v} may be written here. */
    void check(JsonNode v) {
      if (upsert == null) {
        return;
      }
      if (!v.isObject()) {
        throw error(
            Reason.NO_MATCH,
            depth,
            "no list element matches "
                + upsert.source()
                + " (a map value would be added as a new element; this value is a "
                + kind(v)
                + ")");
      }
      JsonNode own = v.get(upsert.key());
      if (own != null && !(scalar(own) && own.asText().equals(upsert.value()))) {
        throw error(
            Reason.INVALID_VALUE,
            depth,
            "the new element's "
                + upsert.key()
                + " is "
                + own
                + " but the selector "
                + upsert.source()
                + " names "
                + upsert.value());
      }
    }

    /** Writes {@code v} here (no-op in a dry run). */
    JsonNode put(JsonNode v) {
      if (!apply) {
        return v;
      }
      if (parent instanceof ObjectNode obj) {
        obj.set(key, v);
      } else if (parent instanceof ArrayNode arr) {
        if (index == APPEND || index >= arr.size()) {
          arr.add(v);
        } else {
          arr.set(index, v);
        }
      } else {
        throw error(Reason.INVALID_VALUE, 0, "the tree root must be a map or a list");
      }
      return v;
    }
  }

  List<Slot> walk(JsonNode root) {
    List<Slot> out = new ArrayList<>();
    walk(new Slot(null, null, 0, root, null, 0), 0, out);
    return out;
  }

  private boolean writing() {
    return op == Op.SET || op == Op.UPSERT;
  }

  private void walk(Slot slot, int i, List<Slot> out) {
    if (i == segments.size()) {
      out.add(slot);
      return;
    }
    Segment seg = segments.get(i);
    JsonNode cur = slot.value;
    boolean absent = cur == null || cur.isNull() || cur.isMissingNode();
    if (absent && slot.parent == null && slot.key == null) {
      throw error(Reason.NOT_FOUND, i, "the tree is empty");
    }
    if (seg instanceof Segment.Key k) {
      key(slot, k, i, out);
    } else if (seg instanceof Segment.Index idx) {
      index(slot, idx, i, out);
    } else {
      select(slot, seg, i, out);
    }
  }

  private void key(Slot slot, Segment.Key k, int i, List<Slot> out) {
    JsonNode cur = slot.value;
    ObjectNode obj;
    if (cur instanceof ObjectNode o) {
      obj = o;
    } else if (isAbsent(cur) && writing()) {
      obj = (ObjectNode) slot.put(NODES.objectNode());
    } else if (isAbsent(cur)) {
      throw error(Reason.NOT_FOUND, i, "no key " + k.name() + " (the parent is null)");
    } else {
      throw error(
          Reason.WRONG_TYPE, i, "expected a map for key " + k.name() + " but found a " + kind(cur));
    }
    JsonNode next = obj.get(k.name());
    if (next == null && !writing()) {
      throw error(Reason.NOT_FOUND, i, "no key " + k.name());
    }
    walk(new Slot(obj, k.name(), 0, next, null, i + 1), i + 1, out);
  }

  private void index(Slot slot, Segment.Index idx, int i, List<Slot> out) {
    JsonNode cur = slot.value;
    int n = idx.index();
    if (n < -1) {
      throw error(Reason.INDEX_OUT_OF_RANGE, i, "index " + n + " is below -1");
    }
    ArrayNode arr;
    if (cur instanceof ArrayNode a) {
      arr = a;
    } else if (isAbsent(cur) && writing()) {
      arr = (ArrayNode) slot.put(NODES.arrayNode());
    } else if (isAbsent(cur)) {
      throw error(Reason.NOT_FOUND, i, "no list for index " + idx.source());
    } else {
      throw error(
          Reason.WRONG_TYPE,
          i,
          "expected a list for " + idx.source() + " but found a " + kind(cur));
    }
    if (n >= 0 && n < arr.size()) {
      walk(new Slot(arr, null, n, arr.get(n), null, i + 1), i + 1, out);
    } else if (writing()) {
      walk(new Slot(arr, null, APPEND, null, null, i + 1), i + 1, out);
    } else {
      throw error(
          Reason.INDEX_OUT_OF_RANGE,
          i,
          "index " + n + " is out of range for a list of " + arr.size() + " elements");
    }
  }

  private void select(Slot slot, Segment seg, int i, List<Slot> out) {
    JsonNode cur = slot.value;
    boolean last = i == segments.size() - 1;
    boolean mayUpsert = op == Op.UPSERT && last && seg instanceof Segment.Match;
    ArrayNode arr;
    if (cur instanceof ArrayNode a) {
      arr = a;
    } else if (isAbsent(cur) && mayUpsert) {
      arr = (ArrayNode) slot.put(NODES.arrayNode());
    } else if (isAbsent(cur)) {
      throw error(Reason.NO_MATCH, i, "no list element matches " + seg.source() + " (no list)");
    } else {
      throw error(
          Reason.WRONG_TYPE,
          i,
          "expected a list for " + seg.source() + " but found a " + kind(cur));
    }
    List<Integer> matches;
    try {
      matches = matches(arr, seg);
    } catch (RegexBudget.Exhausted | StackOverflowError e) {
      throw error(
          Reason.INVALID_VALUE,
          i,
          seg.source()
              + " as a regular expression takes too long to match (Istio's RE2 runs in linear"
              + " time; Java's does not)");
    }
    if (matches.isEmpty()) {
      if (mayUpsert) {
        out.add(new Slot(arr, null, APPEND, null, (Segment.Match) seg, i));
        return;
      }
      throw error(Reason.NO_MATCH, i, "no list element matches " + seg.source());
    }
    for (int m : matches) {
      walk(new Slot(arr, null, m, arr.get(m), null, i + 1), i + 1, out);
    }
  }

  static List<Integer> matches(ArrayNode arr, Segment seg) {
    List<Integer> out = new ArrayList<>();
    if (seg instanceof Segment.Match m) {
      for (int j = 0; j < arr.size(); j++) {
        JsonNode field = arr.get(j).get(m.key());
        if (arr.get(j).isObject() && scalar(field) && field.asText().equals(m.value())) {
          out.add(j);
        }
      }
      return out;
    }
    String value = ((Segment.ValueMatch) seg).value();
    for (int j = 0; j < arr.size(); j++) {
      if (scalar(arr.get(j)) && arr.get(j).asText().equals(value)) {
        out.add(j);
      }
    }
    if (out.isEmpty()) {
      // Istio compatibility: [v] is also an unanchored regular expression; the first match wins.
      Pattern pattern;
      try {
        pattern = Pattern.compile(value);
      } catch (PatternSyntaxException e) {
        return out;
      }
      for (int j = 0; j < arr.size(); j++) {
        if (scalar(arr.get(j))) {
          Matcher matcher = pattern.matcher(new RegexBudget(arr.get(j).asText()));
          if (matcher.find()) {
            out.add(j);
            break;
          }
        }
      }
    }
    return out;
  }

  /** Removes the given slots, list elements from the highest index down. */
  void remove(List<Slot> slots) {
    List<Slot> ordered = new ArrayList<>(slots);
    ordered.sort(Comparator.comparingInt((Slot s) -> s.index).reversed());
    for (Slot s : ordered) {
      if (s.parent instanceof ObjectNode obj) {
        obj.remove(s.key);
      } else if (s.parent instanceof ArrayNode arr) {
        arr.remove(s.index);
      } else {
        throw error(Reason.INVALID_VALUE, 0, "cannot delete the tree root");
      }
    }
  }

  private static boolean isAbsent(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode();
  }

  static boolean scalar(JsonNode n) {
    return n != null && n.isValueNode() && !n.isNull();
  }

  static String kind(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return "null";
    }
    if (n.isObject()) {
      return "map";
    }
    if (n.isArray()) {
      return "list";
    }
    if (n.isTextual()) {
      return "string";
    }
    if (n.isNumber()) {
      return "number";
    }
    if (n.isBoolean()) {
      return "boolean";
    }
    return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  private PathException error(Reason reason, int i, String detail) {
    if (segments.isEmpty()) {
      return new PathException(reason, text, "", "", detail);
    }
    int at = Math.min(i, segments.size() - 1);
    StringBuilder prefix = new StringBuilder();
    for (int j = 0; j <= at; j++) {
      if (j > 0) {
        prefix.append('.');
      }
      prefix.append(segments.get(j).source());
    }
    return new PathException(reason, text, segments.get(at).source(), prefix.toString(), detail);
  }
}
