package dev.isthmus.tpath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Paths are user input ({@code k8s.overlays[].patches[].path}, {@code --set}): for any text,
 * parsing and every operation on any tree must end in a result or a {@link PathException} naming
 * the path, never another exception. Inputs are the documented example paths with random edits, and
 * arbitrary Unicode strings.
 */
class TreePathFuzzTest {
  private static final Duration BUDGET = Duration.ofSeconds(10);

  private static final List<String> SEEDS =
      List.of(
          "spec.template.spec.containers.[name:discovery].args.[30m]",
          "spec.template.spec.containers[name:discovery].ports.[containerPort:8080].containerPort",
          "spec.template.spec.containers.[name:discovery].env.[name:REVISION]",
          "webhooks.[name:namespace\\.sidecar-injector\\.istio\\.io].clientConfig.service.name",
          "values.gateways.istio-egressgateway.secretVolumes[0].name",
          "spec.ports.[-1]",
          "a.b[name:n1].c.[3].[:v].[v2].[-1]",
          "a\\.b.c\\:d.[k\\:x:y\\:z].[x\\]y].e\\q",
          "l.[name:a:b]",
          "x.items.[id:i2].words.[blue]");

  private static final List<String> TOKENS =
      List.of(
          ".",
          "[",
          "]",
          ":",
          "\\",
          "[0]",
          "[-1]",
          "[-2]",
          "[99999999999]",
          "[2147483648]",
          "[name:x]",
          "[:x]",
          "[x]",
          "[.*]",
          "[(]",
          "[a{99999}]",
          "[\\]",
          "..",
          "[]",
          "[:]",
          "a",
          "\u0000",
          "\u00e9",
          "\ud83d\ude00",
          "\ud800",
          " ",
          "-",
          "0");

  /** One edit of a path: position (per mille), token, characters replaced. */
  record Edit(int where, int token, int remove) {
    String apply(String s) {
      int at = (int) ((long) where * s.length() / 1000);
      return s.substring(0, at)
          + TOKENS.get(token)
          + s.substring(Math.min(s.length(), at + remove));
    }
  }

  @Provide
  Arbitrary<String> editedPath() {
    Arbitrary<Edit> edit =
        Combinators.combine(
                Arbitraries.integers().between(0, 1000),
                Arbitraries.integers().between(0, TOKENS.size() - 1),
                Arbitraries.integers().between(0, 4))
            .as(Edit::new);
    return Combinators.combine(Arbitraries.of(SEEDS), edit.list().ofMinSize(1).ofMaxSize(5))
        .as(
            (path, edits) -> {
              for (Edit e : edits) {
                path = e.apply(path);
              }
              return path;
            });
  }

  @Property
  void editedPathsFailOnlyWithPathException(@ForAll("editedPath") String path, @ForAll long seed) {
    check(path, seed);
  }

  @Property
  void arbitraryStringsFailOnlyWithPathException(
      @ForAll("anyString") String path, @ForAll long seed) {
    check(path, seed);
  }

  @Provide
  Arbitrary<String> anyString() {
    return Arbitraries.strings().all().ofMaxLength(40);
  }

  @Example
  void longPathsAreHandled() {
    check("a.".repeat(100_000) + "b", 1);
    check("a" + "[0]".repeat(100_000), 2);
    check("[".repeat(100_000), 3);
    check("\\".repeat(100_001), 4);
  }

  @Example
  void tooManySegmentsIsASyntaxError() {
    PathException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            PathException.class, () -> TreePath.parse("a.".repeat(100_000) + "b"));
    assertThat(e.reason()).isEqualTo(PathException.Reason.SYNTAX);
    assertThat(e.getMessage()).startsWith("path has 100001 segments, more than 1000");
  }

  @Example
  void catastrophicRegexSelectorIsStopped() {
    ObjectNode root = TreePathPropertiesTest.randomMap(new Random(0), 0);
    // 14 s on 31 characters with JDK 17, growing as n^12; with backreferences, exponential
    root.putArray("args").add("a".repeat(60) + "!");
    PathException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            PathException.class,
            () ->
                assertTimeoutPreemptively(
                    BUDGET, () -> TreePath.parse("args.[(.*a){12}b]").get(root)));
    assertThat(e.reason()).isEqualTo(PathException.Reason.INVALID_VALUE);
    assertThat(e.getMessage()).contains("takes too long to match");
  }

  /** Parses {@code path} and runs one operation of five on a random tree. */
  static void check(String path, long seed) {
    Random r = new Random(seed);
    ObjectNode root = TreePathPropertiesTest.randomMap(r, 0);
    ObjectNode before = root.deepCopy();
    JsonNode value = TreePathPropertiesTest.randomValue(r, 0);
    int op = r.nextInt(5);
    String outcome =
        assertTimeoutPreemptively(
            BUDGET,
            () -> {
              try {
                TreePath p = TreePath.parse(path);
                switch (op) {
                  case 0 -> p.get(root);
                  case 1 -> p.find(root);
                  case 2 -> p.set(root, value);
                  case 3 -> p.upsert(root, value);
                  default -> p.delete(root);
                }
                return "applied";
              } catch (PathException e) {
                assertThat(e.path()).isEqualTo(path);
                assertThat(e.getMessage()).isNotBlank();
                assertThat(root).as("a failed write leaves the tree unchanged").isEqualTo(before);
                return e.reason().name();
              }
            },
            () -> "no result within " + BUDGET + " for " + path);
    Statistics.label("outcome").collect(outcome);
  }
}
