package dev.isthmus.controlplane.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * {@code JsonNulls} finds the JSON nulls that the typed models turn into null list elements or null
 * map values, which no rule expects: Go's decoders refuse them ({@code protojson}) or make them
 * zero values, while ours would carry them on to a {@code NullPointerException}.
 */
public final class JsonNulls {
  private JsonNulls() {}

  /**
   * The field path of the first null element of a list under {@code node}, e.g. {@code
   * spec.servers[0]}.
   *
   * @param path the field path of {@code node}
   */
  public static Optional<String> inList(JsonNode node, String path) {
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String at = path + "[" + i + "]";
        if (node.get(i).isNull()) {
          return Optional.of(at);
        }
        Optional<String> below = inList(node.get(i), at);
        if (below.isPresent()) {
          return below;
        }
      }
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        Optional<String> below = inList(e.getValue(), path + "." + e.getKey());
        if (below.isPresent()) {
          return below;
        }
      }
    }
    return Optional.empty();
  }

  /** The field path of the first null value of the string map {@code node}, e.g. labels. */
  public static Optional<String> inMap(JsonNode node, String path) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getValue().isNull()) {
        return Optional.of(path + "." + e.getKey());
      }
    }
    return Optional.empty();
  }
}
