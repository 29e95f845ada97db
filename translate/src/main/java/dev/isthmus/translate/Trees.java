package dev.isthmus.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** {@code Trees} merges and reads untyped Jackson trees. */
public final class Trees {
  private Trees() {}

  /**
   * {@code merge} deep-merges {@code overlay} into a copy of {@code base}: objects merge key by
   * key, everything else (lists included) is replaced wholesale. An explicit {@code null} in the
   * overlay leaves the base value alone, as Istio does for empty YAML keys.
   */
  public static ObjectNode merge(ObjectNode base, JsonNode overlay) {
    ObjectNode out = base == null ? Yamls.object() : base.deepCopy();
    if (overlay == null || !overlay.isObject()) {
      return out;
    }
    mergeInto(out, (ObjectNode) overlay);
    return out;
  }

  private static void mergeInto(ObjectNode target, ObjectNode overlay) {
    List<String> names = new ArrayList<>();
    overlay.fieldNames().forEachRemaining(names::add);
    for (String name : names) {
      JsonNode v = overlay.get(name);
      if (v == null || v.isNull()) {
        // as Helm coalesces values: an explicit null removes the default
        if (target.has(name) && !target.get(name).isNull()) {
          target.remove(name);
        } else if (!target.has(name)) {
          target.putNull(name);
        }
        continue;
      }
      JsonNode existing = target.get(name);
      if (v.isObject() && existing != null && existing.isObject()) {
        mergeInto((ObjectNode) existing, (ObjectNode) v);
      } else {
        target.set(name, v.deepCopy());
      }
    }
  }

  /** The node at a dotted path of object keys, or {@code null}. */
  public static JsonNode at(JsonNode root, String dotted) {
    JsonNode n = root;
    for (String part : dotted.split("\\.")) {
      if (n == null || !n.isObject()) {
        return null;
      }
      n = n.get(part);
    }
    return n == null || n.isNull() || n.isMissingNode() ? null : n;
  }

  /** Sets {@code value} at a dotted path of object keys, creating objects on the way. */
  public static void put(ObjectNode root, String dotted, JsonNode value) {
    String[] parts = dotted.split("\\.");
    ObjectNode n = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode next = n.get(parts[i]);
      if (next == null || !next.isObject()) {
        next = n.putObject(parts[i]);
      }
      n = (ObjectNode) next;
    }
    n.set(parts[parts.length - 1], value);
  }

  /** The object at a dotted path, created if missing. */
  public static ObjectNode objectAt(ObjectNode root, String dotted) {
    ObjectNode n = root;
    for (String part : dotted.split("\\.")) {
      JsonNode next = n.get(part);
      if (next == null || !next.isObject()) {
        next = n.putObject(part);
      }
      n = (ObjectNode) next;
    }
    return n;
  }
}
