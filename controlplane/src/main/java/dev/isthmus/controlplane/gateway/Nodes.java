package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small null-safe accessors over Jackson trees. */
final class Nodes {
  static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Nodes() {}

  static JsonNode at(JsonNode n, String... path) {
    JsonNode cur = n == null ? MissingNode.getInstance() : n;
    for (String p : path) {
      cur = cur.path(p);
    }
    return cur;
  }

  /** The text at {@code path}, or null when absent or null. */
  static String text(JsonNode n, String... path) {
    JsonNode v = at(n, path);
    return v.isMissingNode() || v.isNull() ? null : v.asText();
  }

  static String textOr(JsonNode n, String def, String... path) {
    String v = text(n, path);
    return v == null ? def : v;
  }

  static boolean has(JsonNode n, String... path) {
    JsonNode v = at(n, path);
    return !v.isMissingNode() && !v.isNull();
  }

  static List<JsonNode> list(JsonNode n, String... path) {
    JsonNode v = at(n, path);
    List<JsonNode> out = new ArrayList<>();
    if (v.isArray()) {
      v.forEach(out::add);
    }
    return out;
  }

  static Map<String, String> strings(JsonNode n, String... path) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode v = at(n, path);
    if (v.isObject()) {
      v.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    }
    return out;
  }

  static String name(JsonNode o) {
    return textOr(o, "", "metadata", "name");
  }

  static String namespace(JsonNode o) {
    return textOr(o, "", "metadata", "namespace");
  }

  static String key(JsonNode o) {
    return namespace(o) + "/" + name(o);
  }

  static long generation(JsonNode o) {
    return at(o, "metadata", "generation").asLong(0);
  }

  static ObjectNode object() {
    return F.objectNode();
  }

  static ArrayNode array() {
    return F.arrayNode();
  }

  static ArrayNode array(List<String> values) {
    ArrayNode a = F.arrayNode();
    values.forEach(a::add);
    return a;
  }
}
