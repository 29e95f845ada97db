package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * {@code manifest generate -f} and the operator hand user-written IstioOperator YAML to {@link
 * Translator#render}; for any input it must render or throw a {@link ValidationException} whose
 * messages name where the problem is, within bounded time. Inputs are the test inputs and the
 * profiles with edits at random paths (values of the wrong type, keys moved to where they do not
 * belong, lists where maps are expected), edits of the YAML text, and {@code --set} flags.
 */
class IstioOperatorFuzzTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Duration BUDGET = Duration.ofSeconds(30);
  private static final List<ObjectNode> SEEDS = seeds();

  /** Every key name the seeds use, to put real field names where they do not belong. */
  private static final List<String> KEYS = keys();

  private static final List<JsonNode> VALUES =
      List.of(
          NODES.nullNode(),
          NODES.booleanNode(false),
          NODES.textNode(""),
          NODES.textNode("x"),
          NODES.textNode("-1"),
          NODES.textNode("1.5"),
          NODES.textNode("99999999999999999999"),
          NODES.textNode("{{ .Values }}"),
          NODES.textNode("a.b[0].c"),
          NODES.textNode("[name:x]"),
          NODES.numberNode(0),
          NODES.numberNode(-1),
          NODES.numberNode(70000),
          NODES.numberNode(2.5),
          NODES.numberNode(Long.MAX_VALUE),
          NODES.numberNode(new java.math.BigInteger("123456789012345678901234567890")),
          NODES.arrayNode(),
          NODES.objectNode(),
          NODES.arrayNode().add("a").add(1),
          NODES.objectNode().put("name", "x").put("path", "spec.replicas").put("value", 1),
          NODES.arrayNode().add(NODES.objectNode().put("path", "[").put("value", "x")));

  private static List<ObjectNode> seeds() {
    List<ObjectNode> out = new ArrayList<>();
    try (Stream<Path> inputs = Files.list(resourceDir("/inputs"))) {
      for (Path p : inputs.sorted().toList()) {
        out.add((ObjectNode) Yamls.parseAll(Files.readString(p)).get(0));
      }
      for (String profile : List.of("default", "demo", "ambient", "remote", "openshift")) {
        try (InputStream in =
            Translator.class.getResourceAsStream(
                "/dev/isthmus/translate/profiles/" + profile + ".yaml")) {
          out.add(
              (ObjectNode)
                  Yamls.parseAll(new String(in.readAllBytes(), StandardCharsets.UTF_8)).get(0));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(out);
  }

  private static Path resourceDir(String name) {
    try {
      return Path.of(IstioOperatorFuzzTest.class.getResource(name).toURI());
    } catch (Exception e) {
      throw new IllegalStateException("no test resource " + name, e);
    }
  }

  private static List<String> keys() {
    TreeSet<String> keys = new TreeSet<>();
    SEEDS.forEach(s -> collectKeys(s, keys));
    return List.copyOf(keys);
  }

  private static void collectKeys(JsonNode n, TreeSet<String> keys) {
    n.fieldNames().forEachRemaining(keys::add);
    n.elements().forEachRemaining(c -> collectKeys(c, keys));
  }

  /** One edit: which node (pre-order position), what to do, with which value or key. */
  record Edit(int node, int op, int value) {}

  @Provide
  Arbitrary<List<Edit>> edits() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 100_000),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 100_000))
        .as(Edit::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4);
  }

  @Provide
  Arbitrary<Integer> seed() {
    return Arbitraries.integers().between(0, SEEDS.size() - 1);
  }

  @Property
  void editedOperatorsFailOnlyWithValidationException(
      @ForAll("seed") int seed, @ForAll("edits") List<Edit> edits) {
    ObjectNode doc = SEEDS.get(seed).deepCopy();
    for (Edit e : edits) {
      apply(doc, e);
    }
    check(List.of(Yamls.toYaml(doc)), List.of());
  }

  @Property
  void editedYamlTextFailsOnlyWithValidationException(
      @ForAll("seed") int seed, @ForAll("textEdits") List<Map.Entry<Integer, String>> edits) {
    String text = Yamls.toYaml(SEEDS.get(seed));
    for (var e : edits) {
      int at = (int) ((long) e.getKey() * text.length() / 1000);
      text = text.substring(0, at) + e.getValue() + text.substring(Math.min(text.length(), at + 3));
    }
    check(List.of(text), List.of());
  }

  @Provide
  Arbitrary<List<Map.Entry<Integer, String>>> textEdits() {
    Arbitrary<String> inserts =
        Arbitraries.of(
            ":",
            "- ",
            "\n  ",
            "\n",
            "{",
            "}",
            "[",
            "]",
            "&a ",
            "*a",
            "!!binary ",
            "!!int ",
            "? ",
            "|",
            ">",
            "'",
            "\"",
            "#",
            "---\n",
            "...\n",
            "\t",
            "\\",
            "%YAML 1.1\n",
            ": :");
    return Combinators.combine(Arbitraries.integers().between(0, 1000), inserts)
        .as(Map::entry)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4);
  }

  /** {@code --set} flags with paths taken from the seed, and some mangled, and odd values. */
  @Property
  void setFlagsFailOnlyWithValidationException(
      @ForAll("seed") int seed, @ForAll("edits") List<Edit> picks) {
    List<String> paths = new ArrayList<>();
    paths(SEEDS.get(seed).path("spec"), "", paths);
    List<String> sets = new ArrayList<>();
    for (Edit e : picks) {
      String p = paths.isEmpty() ? "values" : paths.get(e.node() % paths.size());
      p =
          switch (e.op()) {
            case 0 -> p.replace('.', '[');
            case 1 -> p + "[" + (e.value() % 5 - 2) + "]";
            case 2 -> p + ".[name:" + KEYS.get(e.value() % KEYS.size()) + "]";
            case 3 -> p.substring(0, p.length() / 2);
            default -> p;
          };
      sets.add(p + "=" + VALUES.get(e.value() % VALUES.size()).asText());
    }
    check(List.of(Yamls.toYaml(SEEDS.get(seed))), sets);
  }

  private static void paths(JsonNode n, String prefix, List<String> out) {
    if (n.isObject()) {
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        String p = prefix.isEmpty() ? k : prefix + "." + k;
        out.add(p);
        paths(n.get(k), p, out);
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        String p = prefix + "[" + i + "]";
        out.add(p);
        paths(n.get(i), p, out);
      }
    }
  }

  // Inputs that would cost without bound if nothing stopped them.

  @Example
  void billionLaughsIsRefused() {
    StringBuilder b = new StringBuilder("apiVersion: install.istio.io/v1alpha1\n");
    b.append("kind: IstioOperator\nspec:\n  values:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
      b.append("    a").append(i).append(": &a").append(i).append(" [");
      b.append(("*a" + (i - 1) + ", ").repeat(9)).append("*a").append(i - 1).append("]\n");
    }
    check(List.of(b.toString()), List.of());
  }

  @Example
  void deeplyNestedYamlIsRefused() {
    check(List.of("spec:\n  values:\n    x: " + "[".repeat(100_000)), List.of());
    check(List.of("spec:\n  values:\n    x: " + "{a: ".repeat(100_000)), List.of());
  }

  @Example
  void hugeDocumentIsHandled() {
    ObjectNode doc = SEEDS.get(0).deepCopy();
    ObjectNode labels =
        ((ObjectNode) doc.path("spec"))
            .putObject("values")
            .putObject("global")
            .putObject("proxy")
            .putObject("x");
    for (int i = 0; i < 50_000; i++) {
      labels.put("k" + i, "v" + i);
    }
    check(List.of(Yamls.toYaml(doc)), List.of());
  }

  /** Renders; the outcome must be objects or a ValidationException with located messages. */
  static void check(List<String> docs, List<String> sets) {
    String outcome =
        assertTimeoutPreemptively(
            BUDGET,
            () -> {
              try {
                RenderResult r = Translator.render(docs, sets, null, false);
                assertThat(r.objects()).isNotNull();
                return "rendered";
              } catch (ValidationException e) {
                assertThat(e.errors()).isNotEmpty();
                for (String m : e.errors()) {
                  assertThat(m).as("error of %s %s", sets, docs).contains(": ");
                }
                return "invalid";
              }
            },
            () -> "no result within " + BUDGET + " for " + sets + " " + docs);
    Statistics.label("outcome").collect(outcome);
  }

  private static void apply(ObjectNode root, Edit e) {
    List<JsonNode[]> slots = new ArrayList<>();
    walk(root, slots);
    if (slots.isEmpty()) {
      // earlier edits removed every field: the next edit adds one at the top
      root.set(KEYS.get(e.value() % KEYS.size()), VALUES.get(e.value() % VALUES.size()).deepCopy());
      return;
    }
    JsonNode[] slot = slots.get(e.node() % slots.size());
    JsonNode parent = slot[0];
    JsonNode child = slot[1];
    String key = KEYS.get(e.value() % KEYS.size());
    JsonNode value = VALUES.get(e.value() % VALUES.size()).deepCopy();
    switch (e.op()) {
      case 0, 1 -> set(parent, child, value);
      case 2 -> set(parent, child, null);
      case 3 -> {
        if (child instanceof ObjectNode o) {
          // a real field name in the wrong place, holding a subtree from elsewhere
          o.set(key, slots.get(e.value() % slots.size())[1].deepCopy());
        } else {
          set(parent, child, value);
        }
      }
      case 4 -> set(parent, child, NODES.arrayNode().add(child.deepCopy()));
      default -> {
        if (child instanceof ObjectNode o) {
          set(parent, child, NODES.arrayNode().add(o.deepCopy()));
        } else {
          set(parent, child, NODES.textNode(child.asText() + "x"));
        }
      }
    }
  }

  private static void walk(JsonNode n, List<JsonNode[]> slots) {
    if (n.isContainerNode()) {
      for (JsonNode c : n) {
        slots.add(new JsonNode[] {n, c});
        walk(c, slots);
      }
    }
  }

  /** Replaces {@code child} of {@code parent} by {@code value}, or removes it when null. */
  private static void set(JsonNode parent, JsonNode child, JsonNode value) {
    if (parent instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        var f = it.next();
        if (f.getValue() == child) {
          if (value == null) {
            it.remove();
          } else {
            f.setValue(value);
          }
          return;
        }
      }
    } else if (parent instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i) == child) {
          if (value == null) {
            a.remove(i);
          } else {
            a.set(i, value);
          }
          return;
        }
      }
    }
  }
}
