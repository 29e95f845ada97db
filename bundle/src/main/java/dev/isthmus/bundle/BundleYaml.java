package dev.isthmus.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.isthmus.translate.Yamls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code BundleYaml} reads and writes the bundle's YAML and JSON deterministically (field order
 * kept, no doc marker).
 */
public final class BundleYaml {
  private static final YAMLMapper YAML =
      YAMLMapper.builder(
              Yamls.yamlStyle().enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE).build())
          .build();
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private BundleYaml() {}

  /** One YAML document, no leading marker. */
  public static String toYaml(JsonNode node) {
    return Yamls.write(YAML.writer(), node);
  }

  /** Indented JSON. */
  public static String prettyJson(JsonNode node) {
    return Yamls.write(JSON.writerWithDefaultPrettyPrinter(), node);
  }

  /** Every non-empty document of a YAML stream. */
  public static List<JsonNode> parseAll(String text) {
    List<JsonNode> out = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isMissingNode() && !n.isNull()) {
          out.add(n);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** One YAML document as a tree. */
  public static JsonNode parse(String text) {
    List<JsonNode> all = parseAll(text);
    if (all.size() != 1) {
      throw new IllegalArgumentException("expected one YAML document, found " + all.size());
    }
    return all.get(0);
  }
}
