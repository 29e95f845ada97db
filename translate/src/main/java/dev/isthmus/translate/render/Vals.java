package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.Trees;
import dev.isthmus.translate.Yamls;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code Vals} reads the values tree with explicit defaults: the chart defaults users rely on live
 * next to the code that uses them, not in a hidden layer.
 */
public record Vals(ObjectNode root) {
  /** The node at a dotted path, or null when missing or JSON null. */
  public JsonNode node(String path) {
    return Trees.at(root, path);
  }

  /** The text at {@code path}, or {@code def}. Numbers come back as their text. */
  public String str(String path, String def) {
    JsonNode n = node(path);
    return n == null || !n.isValueNode() ? def : n.asText();
  }

  /** The boolean at {@code path} ({@code "true"} counts), or {@code def}. */
  public boolean bool(String path, boolean def) {
    JsonNode n = node(path);
    if (n == null || !n.isValueNode()) {
      return def;
    }
    return n.isBoolean() ? n.booleanValue() : Boolean.parseBoolean(n.asText());
  }

  /** The integer at {@code path}, or {@code def}. */
  public int integer(String path, int def) {
    JsonNode n = node(path);
    if (n == null || !n.isValueNode()) {
      return def;
    }
    if (n.isNumber()) {
      return n.intValue();
    }
    try {
      return (int) Double.parseDouble(n.asText());
    } catch (NumberFormatException e) {
      return def;
    }
  }

  /** The object at {@code path}, or an empty object. */
  public ObjectNode obj(String path) {
    JsonNode n = node(path);
    return n != null && n.isObject() ? (ObjectNode) n : Yamls.object();
  }

  /** The string map at {@code path} (values as text), in key order. */
  public Map<String, String> strMap(String path) {
    Map<String, String> out = new LinkedHashMap<>();
    obj(path).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  /** A view of the sub-tree at {@code path} (empty when missing). */
  public Vals sub(String path) {
    return new Vals(obj(path));
  }
}
