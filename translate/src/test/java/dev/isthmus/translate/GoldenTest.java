package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Renders every input under {@code src/test/resources/inputs/} and compares with {@code
 * src/test/resources/golden/<case>.yaml}; {@code -Dgolden.refresh=true} rewrites the goldens. Input
 * files may start with {@code # set: PATH=VALUE} and {@code # revision: REV} lines. CRD bodies are
 * replaced by their names (they come verbatim from the crds module).
 */
class GoldenTest {
  static final Path INPUTS = Path.of("src/test/resources/inputs");
  static final Path GOLDEN = Path.of("src/test/resources/golden");

  static Stream<String> cases() throws IOException {
    try (Stream<Path> s = Files.list(INPUTS)) {
      return s
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml"))
          .map(n -> n.substring(0, n.length() - 5))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void rendersAsGolden(String name) throws IOException {
    String input = Files.readString(INPUTS.resolve(name + ".yaml"));
    List<String> sets = new ArrayList<>();
    String revision = null;
    for (String line : input.split("\n")) {
      if (line.startsWith("# set: ")) {
        sets.add(line.substring("# set: ".length()).trim());
      } else if (line.startsWith("# revision: ")) {
        revision = line.substring("# revision: ".length()).trim();
      }
    }
    RenderResult r = Translator.render(List.of(input), sets, revision, false);
    String actual = summarize(r);
    Path golden = GOLDEN.resolve(name + ".yaml");
    if (Boolean.getBoolean("golden.refresh")) {
      Files.createDirectories(GOLDEN);
      Files.writeString(golden, actual, StandardCharsets.UTF_8);
    }
    assertThat(golden)
        .as("golden %s (write it with -Dgolden.refresh=true and review it)", golden)
        .exists();
    assertThat(actual).isEqualTo(Files.readString(golden));
  }

  static String summarize(RenderResult r) {
    StringBuilder sb = new StringBuilder();
    for (String w : r.warnings()) {
      sb.append("# warning: ").append(w).append('\n');
    }
    for (ComponentManifest c : r.components()) {
      sb.append("# component: ").append(c.component()).append(' ').append(c.name()).append('\n');
      for (ObjectNode o : c.objects()) {
        if (o.path("kind").asText().equals("CustomResourceDefinition")) {
          sb.append("# CustomResourceDefinition ")
              .append(o.path("metadata").path("name").asText())
              .append('\n');
        } else {
          sb.append(Yamls.toYaml(o)).append("---\n");
        }
      }
    }
    return sb.toString();
  }
}
