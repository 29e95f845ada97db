package dev.isthmus.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Test helper: YAML text to Jackson trees. */
final class Yaml {

  static final ObjectMapper MAPPER = new YAMLMapper();

  private Yaml() {}

  static JsonNode tree(String yaml) {
    try {
      return MAPPER.readTree(yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode obj(String yaml) {
    return (ObjectNode) tree(yaml);
  }

  /** Every document of a multi-document YAML stream. */
  static List<ObjectNode> objects(String yaml) {
    List<ObjectNode> out = new ArrayList<>();
    try (var parser = MAPPER.getFactory().createParser(yaml)) {
      var it = MAPPER.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n instanceof ObjectNode o) {
          out.add(o);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
