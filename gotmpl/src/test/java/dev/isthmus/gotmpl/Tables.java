package dev.isthmus.gotmpl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;

/**
 * {@code Tables} runs the YAML tables of template cases under {@code src/test/resources} (format in
 * {@code conformance/README.md}): one dynamic test per row, named by file and row, and a summary
 * per file, {@code <file> conformance: P/N}, with the rows marked {@code known} listed apart.
 */
final class Tables {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** The functions every table may call besides the built-ins (see the README). */
  static final Map<String, Function> TEST_FUNCTIONS =
      Map.of(
          "mkadd",
          a -> (Function) b -> GoValues.toLong(b.get(0)) + GoValues.toLong(b.get(1)),
          "mkerr",
          a ->
              (Function)
                  b -> {
                    throw new IllegalArgumentException("boom");
                  },
          "echo",
          a -> a.get(0));

  /** One row of a table. */
  record Row(
      String file, String name, String tmpl, Object data, String want, String err, String known) {
    String expected() {
      return err != null ? "error containing \"" + err + "\"" : "\"" + want + "\"";
    }
  }

  /** What running a row gave: the output, or the error message. */
  record Outcome(String out, String err) {
    boolean matches(Row r) {
      return r.err() != null
          ? err != null && err.contains(r.err())
          : err == null && out.equals(r.want());
    }

    @Override
    public String toString() {
      return err != null ? "error \"" + err + "\"" : "\"" + out + "\"";
    }
  }

  private final String title;
  private final Map<String, int[]> tally = new TreeMap<>();
  private final List<String> known = new ArrayList<>();

  Tables(String title) {
    this.title = title;
  }

  /** The rows of every {@code *.yaml} file in the classpath folder {@code dir}. */
  static Map<String, List<Row>> load(String dir) {
    try {
      Path root = Path.of(Tables.class.getResource("/" + dir).toURI());
      Map<String, List<Row>> files = new TreeMap<>();
      try (Stream<Path> s = Files.list(root)) {
        for (Path p : s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
          String file = p.getFileName().toString();
          List<Row> rows = new ArrayList<>();
          for (JsonNode n : YAML.readTree(p.toFile())) {
            rows.add(
                new Row(
                    file,
                    n.path("name").asText(),
                    n.path("tmpl").asText(),
                    n.has("data") ? GoValues.plain(n.get("data")) : null,
                    n.has("want") ? n.get("want").asText() : null,
                    n.has("err") ? n.get("err").asText() : null,
                    n.has("known") ? n.get("known").asText() : null));
          }
          files.put(file, rows);
        }
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("no test resource folder " + dir, e);
    }
  }

  static Outcome run(Row r) {
    try {
      return new Outcome(Template.parse("t", r.tmpl(), TEST_FUNCTIONS).execute(r.data()), null);
    } catch (TemplateException e) {
      return new Outcome(null, e.getMessage());
    }
  }

  /** The dynamic tests for the tables in {@code dir}, one container per file. */
  Stream<DynamicContainer> tests(String dir) {
    return load(dir).entrySet().stream()
        .map(
            f ->
                DynamicContainer.dynamicContainer(
                    f.getKey(),
                    f.getValue().stream()
                        .map(r -> DynamicTest.dynamicTest(r.name(), () -> check(r)))));
  }

  private synchronized void check(Row r) {
    Outcome o = run(r);
    int[] t = tally.computeIfAbsent(r.file(), k -> new int[2]);
    t[1]++;
    if (r.known() != null) {
      known.add(
          r.file()
              + " / "
              + r.name()
              + ": Go gives "
              + r.expected()
              + ", we give "
              + o
              + " ("
              + r.known()
              + ")");
      assertThat(o.matches(r))
          .as("%s / %s is marked known but now conforms: remove its 'known'", r.file(), r.name())
          .isFalse();
      return;
    }
    assertThat(o.matches(r))
        .as(
            "%s / %s: %s with data %s: want %s, got %s",
            r.file(), r.name(), r.tmpl(), r.data(), r.expected(), o)
        .isTrue();
    t[0]++;
  }

  /** Prints {@code <file> conformance: P/N} per file and the known differences. */
  synchronized void summary() {
    int pass = 0;
    int all = 0;
    for (var e : tally.entrySet()) {
      System.out.println(e.getKey() + " conformance: " + e.getValue()[0] + "/" + e.getValue()[1]);
      pass += e.getValue()[0];
      all += e.getValue()[1];
    }
    System.out.println(title + " conformance: " + pass + "/" + all);
    if (!known.isEmpty()) {
      System.out.println(
          "KNOWN DIFFERENCES from "
              + title
              + " ("
              + known.size()
              + "), each row kept with Go's result:");
      known.forEach(k -> System.out.println("  " + k));
    }
  }
}
