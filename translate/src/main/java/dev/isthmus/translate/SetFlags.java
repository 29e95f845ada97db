package dev.isthmus.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.tpath.PathException;
import dev.isthmus.tpath.TreePath;
import java.util.List;

/**
 * {@code SetFlags} applies {@code --set PATH=VALUE} flags to an IstioOperator spec tree. PATH uses
 * the tpath grammar and is relative to {@code spec} ({@code values.global.hub}, {@code
 * components.pilot.enabled}); VALUE is parsed as an integer, a float, a boolean, else a string —
 * except that tags and {@code proxyMetadata} entries always stay strings.
 */
public final class SetFlags {
  private SetFlags() {}

  /** Applies one flag; problems are added to {@code errors}. */
  public static void apply(ObjectNode spec, String flag, List<String> errors) {
    int eq = flag.indexOf('=');
    if (eq <= 0) {
      errors.add("--set " + flag + ": expected PATH=VALUE");
      return;
    }
    String path = flag.substring(0, eq).trim();
    if (path.startsWith("spec.")) {
      path = path.substring("spec.".length());
    }
    String raw = flag.substring(eq + 1);
    try {
      TreePath.parse(path).set(spec, parse(path, raw));
    } catch (PathException e) {
      errors.add("--set " + path + ": " + e.getMessage());
    }
  }

  /** Parses a flag value according to where it goes. */
  public static JsonNode parse(String path, String raw) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    String last = path.substring(path.lastIndexOf('.') + 1);
    if (last.equals("tag") || path.contains("proxyMetadata")) {
      return f.textNode(raw);
    }
    if (raw.matches("-?(0|[1-9][0-9]*)")) {
      try {
        return f.numberNode(Long.parseLong(raw));
      } catch (NumberFormatException e) {
        return f.textNode(raw);
      }
    }
    if (raw.matches("-?[0-9]+\\.[0-9]+([eE][-+]?[0-9]+)?")) {
      return f.numberNode(Double.parseDouble(raw));
    }
    if (raw.equals("true") || raw.equals("false")) {
      return f.booleanNode(Boolean.parseBoolean(raw));
    }
    return f.textNode(raw);
  }
}
