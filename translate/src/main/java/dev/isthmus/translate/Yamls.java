package dev.isthmus.translate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactoryBuilder;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Yamls} holds the YAML and JSON mappers translate uses, configured for deterministic
 * output: sorted map keys for beans, block style, no document start marker.
 */
public final class Yamls {
  /** YAML mapper used for reading input and writing manifests. */
  public static final YAMLMapper YAML =
      YAMLMapper.builder(yamlStyle().enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build())
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .build();

  /** JSON mapper for tree conversions of typed objects. */
  public static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .build();

  private Yamls() {}

  /**
   * The YAML Isthmus writes: no document start marker, quotes only where needed (always around
   * numeric strings), long lines kept whole.
   */
  public static YAMLFactoryBuilder yamlStyle() {
    return YAMLFactory.builder()
        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
        .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
        .disable(YAMLGenerator.Feature.SPLIT_LINES);
  }

  /** A fresh empty object node. */
  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * {@code parseAll} reads every document of a YAML stream; empty documents come back as {@code
   * null} entries so callers can count them.
   */
  public static List<JsonNode> parseAll(String text) {
    List<JsonNode> out = new ArrayList<>();
    try (YAMLParser p = YAML.getFactory().createParser(text)) {
      var it = YAML.readValues(p, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        out.add(n == null || n.isMissingNode() || n.isNull() ? null : n);
      }
    } catch (IOException e) {
      throw new ValidationException(List.of("YAML: " + firstLine(e.getMessage())));
    } catch (RuntimeException e) {
      throw new ValidationException(List.of("YAML: " + firstLine(String.valueOf(e.getMessage()))));
    }
    return out;
  }

  /** Serialises one tree as a YAML document (no leading {@code ---}). */
  public static String toYaml(JsonNode node) {
    return write(YAML.writer(), node);
  }

  /** Serialises a tree as pretty JSON with sorted keys. */
  public static String toPrettyJson(JsonNode node) {
    return write(JSON.writerWithDefaultPrettyPrinter(), sorted(node));
  }

  /**
   * {@code value} written by {@code writer}; a tree always serialises, so a failure is unchecked.
   */
  public static String write(ObjectWriter writer, Object value) {
    try {
      return writer.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A deep copy of {@code node} whose object keys are in lexical order. */
  public static JsonNode sorted(JsonNode node) {
    if (node == null) {
      return null;
    }
    if (node.isObject()) {
      ObjectNode out = object();
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      names.sort(null);
      for (String n : names) {
        out.set(n, sorted(node.get(n)));
      }
      return out;
    }
    if (node.isArray()) {
      var arr = JsonNodeFactory.instance.arrayNode();
      node.forEach(e -> arr.add(sorted(e)));
      return arr;
    }
    return node;
  }

  static String firstLine(String s) {
    if (s == null) {
      return "unreadable input";
    }
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }
}
