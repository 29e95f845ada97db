package dev.isthmus.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/** {@code MergePatch} applies an RFC 7386 JSON merge patch. */
final class MergePatch {

  private MergePatch() {}

  /**
   * Returns {@code target} merged with {@code patch}: maps merge recursively, a null removes the
   * key, anything else (lists included) replaces. Mutates and returns {@code target} when it is a
   * map and {@code patch} is a map.
   */
  static JsonNode apply(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode();
    Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), apply(result.get(e.getKey()), e.getValue()));
      }
    }
    return result;
  }
}
