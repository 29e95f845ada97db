package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code JsonPatches} builds an RFC 6902 patch between two pods. It compares the fields of {@code
 * metadata} and {@code spec} one level deep and emits {@code add} or {@code replace} for each field
 * that differs (injection never removes a field; fields the typed model drops on a round-trip are
 * left untouched), so a changed container list is replaced whole: coarse but exact, and immune to
 * index shifts.
 */
public final class JsonPatches {
  private JsonPatches() {}

  /**
   * The patch turning {@code original} into {@code mutated}, restricted to {@code metadata} and
   * {@code spec}.
   */
  public static ArrayNode diff(JsonNode original, JsonNode mutated) {
    ArrayNode ops = JsonNodeFactory.instance.arrayNode();
    for (String section : new String[] {"metadata", "spec"}) {
      JsonNode before = original.path(section);
      JsonNode after = mutated.path(section);
      if (!before.isObject()) {
        if (after.isObject()) {
          ops.add(op("add", "/" + section, after));
        }
        continue;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = after.fields(); it.hasNext(); ) {
        var e = it.next();
        JsonNode old = before.get(e.getKey());
        String path = "/" + section + "/" + escape(e.getKey());
        if (old == null) {
          ops.add(op("add", path, e.getValue()));
        } else if (!old.equals(e.getValue()) && !sameNumbers(old, e.getValue())) {
          ops.add(op("replace", path, e.getValue()));
        }
      }
    }
    return ops;
  }

  private static boolean sameNumbers(JsonNode a, JsonNode b) {
    return a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0;
  }

  private static ObjectNode op(String op, String path, JsonNode value) {
    ObjectNode o = JsonNodeFactory.instance.objectNode().put("op", op).put("path", path);
    o.set("value", value);
    return o;
  }

  /** RFC 6901 escaping of one reference token. */
  public static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }
}
