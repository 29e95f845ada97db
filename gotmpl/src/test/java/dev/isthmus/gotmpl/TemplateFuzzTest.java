package dev.isthmus.gotmpl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Injection templates are written by users ({@code values.sidecarInjectorWebhook.templates}), so
 * parsing and executing any text must end, within bounded time and memory, in output or a {@link
 * TemplateException}. Inputs are the conformance rows with random edits, so most of them get past
 * the lexer into the parser and the executor.
 */
class TemplateFuzzTest {
  private static final Duration BUDGET = Duration.ofSeconds(20);

  /** Fragments that make an edit likely to produce another well-formed action. */
  private static final List<String> TOKENS =
      List.of(
          "{{",
          "}}",
          "{{- ",
          " -}}",
          "{{end}}",
          "{{else}}",
          "{{else if .a}}",
          "{{range .}}",
          "{{range $i, $v := .}}",
          "{{if .}}",
          "{{with .a}}",
          "{{define \"t\"}}",
          "{{template \"t\" .}}",
          "{{block \"b\" .}}",
          "{{break}}",
          "{{continue}}",
          "{{/* c */}}",
          "(",
          ")",
          " | ",
          "$",
          "$x := ",
          "$x = ",
          "$x",
          ".",
          ".a",
          ".a.b",
          ".l",
          "\"",
          "`",
          "'",
          "0",
          "-1",
          "1.5",
          "2147483648",
          "9223372036854775807",
          "-9223372036854775808",
          "1e400",
          "0x1F",
          "'\\x41'",
          "'\\u00e9'",
          "nil",
          "true",
          " printf \"%v %d %5.2f %q %x\" ",
          " index ",
          " slice ",
          " len ",
          " until ",
          " repeat ",
          " toYaml ",
          " fromJson ",
          " default ",
          " dict ",
          " list ",
          " append ",
          " merge ",
          " indent ",
          " trunc ",
          " substr ",
          " mul ",
          " div ",
          " mod ",
          " call ",
          " and ",
          " or ",
          " not ",
          " eq ",
          " lt ",
          " html ",
          " js ",
          " urlquery ",
          " b64dec ",
          " regexMatch ",
          " %",
          "*",
          "[",
          "]",
          ",",
          "\\",
          "\n",
          " ",
          ":=");

  private static final List<Tables.Row> SEEDS = seeds();

  private static List<Tables.Row> seeds() {
    List<Tables.Row> rows = new ArrayList<>();
    Tables.load("conformance").values().forEach(rows::addAll);
    Tables.load("sprig").values().forEach(rows::addAll);
    return List.copyOf(rows);
  }

  /**
   * One edit of a template at a position (per mille of its length): replace up to {@code remove}
   * characters by a token or, one time in four, by three copies of themselves (nesting grows).
   */
  record Edit(int where, int token, int remove, int kind) {
    String apply(String s) {
      int at = (int) ((long) where * s.length() / 1000);
      int end = Math.min(s.length(), at + remove);
      String insert = kind == 3 && end > at ? s.substring(at, end).repeat(3) : TOKENS.get(token);
      return s.substring(0, at) + insert + s.substring(end);
    }
  }

  record Case(String tmpl, Object data) {}

  @Provide
  Arbitrary<Case> mutated() {
    Arbitrary<Edit> edit =
        Combinators.combine(
                Arbitraries.integers().between(0, 1000),
                Arbitraries.integers().between(0, TOKENS.size() - 1),
                Arbitraries.integers().between(0, 8),
                Arbitraries.integers().between(0, 3))
            .as(Edit::new);
    return Combinators.combine(
            Arbitraries.integers().between(0, SEEDS.size() - 1), edit.list().ofMaxSize(6))
        .as(
            (i, edits) -> {
              String t = SEEDS.get(i).tmpl();
              for (Edit e : edits) {
                t = e.apply(t);
              }
              return new Case(t, SEEDS.get(i).data());
            });
  }

  @Property
  void mutatedTemplatesFailOnlyWithTemplateException(@ForAll("mutated") Case c) {
    Statistics.label("outcome").collect(run(c.tmpl(), c.data()));
  }

  @Property
  void randomTextFailsOnlyWithTemplateException(@ForAll("randomText") String tmpl) {
    Statistics.label("outcome").collect(run(tmpl, Map.of("a", Map.of("b", 1L), "l", List.of(1L))));
  }

  @Provide
  Arbitrary<String> randomText() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(60),
        Arbitraries.of(TOKENS).list().ofMaxSize(20).map(l -> String.join("", l)));
  }

  // Templates that would run without bound in time or memory.

  @Example
  void rangeOverAHugeIntegerIsBounded() {
    assertLimit("{{range 2000000000}}x{{end}}");
  }

  @Example
  void rangeOverAHugeIntegerWithAnEmptyBodyIsBounded() {
    assertLimit("{{range 2000000000}}{{end}}");
  }

  @Example
  void untilOfAHugeCountIsBounded() {
    assertLimit("{{range until 2000000000}}{{end}}");
  }

  @Example
  void repeatOfAHugeCountIsBounded() {
    assertLimit("{{repeat 1000000000 \"x\"}}");
  }

  @Example
  void printfWithAHugeWidthIsRefusedAsInGo() {
    assertThat(Template.parse("t", "{{printf \"%999999999d\" 1}}", Map.of()).execute(null))
        .isEqualTo("%!(NOVERB)%!(EXTRA int=1)");
    assertThat(
            Template.parse("t", "{{printf \"%*d|%.*f\" 2000000 1 2000000 1.5}}", Map.of())
                .execute(null))
        .isEqualTo("%!(BADWIDTH)1|%!(BADPREC)1.500000");
  }

  @Example
  void indentByAHugeCountIsBounded() {
    assertLimit("{{indent 999999999 \"x\"}}");
  }

  @Example
  void nestedRangesAreBounded() {
    assertLimit("{{range 100000}}{{range 100000}}{{range 100000}}{{end}}{{end}}{{end}}");
  }

  @Example
  void doublingAStringIsBounded() {
    assertLimit("{{$s := \"xxxxxxxxxxxxxxxx\"}}{{range 64}}{{$s = printf \"%s%s\" $s $s}}{{end}}");
  }

  @Example
  void selfRecursiveTemplateIsBounded() {
    assertLimit("{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}");
  }

  @Example
  void deeplyNestedParenthesesAreAnError() {
    assertLimit("{{" + "(".repeat(100_000) + "1" + ")".repeat(100_000) + "}}");
  }

  @Example
  void deeplyNestedIfsAreAnError() {
    assertLimit("{{if 1}}".repeat(100_000) + "{{end}}".repeat(100_000));
  }

  private static void assertLimit(String tmpl) {
    assertThat(run(tmpl, Map.of())).endsWith("error");
  }

  /** Parses and executes, returning the outcome's kind; fails on anything but a typed error. */
  static String run(String tmpl, Object data) {
    return assertTimeoutPreemptively(
        BUDGET,
        () -> {
          Template t;
          try {
            t = Template.parse("fuzz", tmpl, Tables.TEST_FUNCTIONS);
          } catch (TemplateException e) {
            assertThat(e.getMessage()).startsWith("template: fuzz:");
            return "parse error";
          }
          try {
            t.execute(data);
            return "output";
          } catch (TemplateException e) {
            assertThat(e.getMessage()).startsWith("template: ");
            return "exec error";
          }
        },
        () -> "template did not finish within " + BUDGET + ": " + tmpl);
  }
}
