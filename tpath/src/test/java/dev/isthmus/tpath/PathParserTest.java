package dev.isthmus.tpath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.isthmus.tpath.Segment.Index;
import dev.isthmus.tpath.Segment.Key;
import dev.isthmus.tpath.Segment.Match;
import dev.isthmus.tpath.Segment.ValueMatch;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathParserTest {

  @Test
  void keysIndexesAndSelectors() {
    assertThat(TreePath.parse("a.b[name:n1].c.[3].[:v].[v2].[-1]").segments())
        .containsExactly(
            new Key("a", "a"),
            new Key("b", "b"),
            new Match("name", "n1", "[name:n1]"),
            new Key("c", "c"),
            new Index(3, "[3]"),
            new ValueMatch("v", "[:v]"),
            new ValueMatch("v2", "[v2]"),
            new Index(-1, "[-1]"));
  }

  @Test
  void escapes() {
    assertThat(TreePath.parse("a\\.b.c\\:d.[k\\:x:y\\:z].[x\\]y].e\\q").segments())
        .containsExactly(
            new Key("a.b", "a\\.b"),
            new Key("c:d", "c\\:d"),
            new Match("k:x", "y:z", "[k\\:x:y\\:z]"),
            new ValueMatch("x]y", "[x\\]y]"),
            new Key("e\\q", "e\\q"));
  }

  @Test
  void selectorValueMayContainColonsAfterTheFirst() {
    assertThat(TreePath.parse("l.[name:a:b]").segments().get(1))
        .isEqualTo(new Match("name", "a:b", "[name:a:b]"));
  }

  @Test
  void escapedDigitsAreAValueNotAnIndex() {
    assertThat(TreePath.parse("l.[\\8080]").segments().get(1))
        .isEqualTo(new ValueMatch("\\8080", "[\\8080]"));
    assertThat(TreePath.parse("l.[:8080]").segments().get(1))
        .isEqualTo(new ValueMatch("8080", "[:8080]"));
  }

  @Test
  void escapeKeyRoundTrips() {
    String key = "we.ird[key]:with\\stuff";
    List<Segment> segs = TreePath.parse("x." + TreePath.escapeKey(key)).segments();
    assertThat(segs.get(1)).extracting(s -> ((Key) s).name()).isEqualTo(key);
    String value = "a:b.c]";
    Segment sel =
        TreePath.parse("x.[k:" + TreePath.escapeSelectorValue(value) + "]").segments().get(1);
    assertThat(((Match) sel).value()).isEqualTo(value);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "\"\"|empty path",
        "a..b|empty key before '.'",
        ".a|empty key before '.'",
        "a.|path ends with '.'",
        "a.[0].|path ends with '.'",
        "a.[]|empty selector []",
        "a.[x|unterminated selector [x",
        "a.[x[y]]|'[' inside a selector",
        "a]|unbalanced ']'",
        "a.[0]b|expected '.' or '[' after ']' but found 'b'",
        "a\\|path ends with a lone '\\'",
        "a.[99999999999]|index 99999999999 is too large",
      })
  void syntaxErrors(String path, String detail) {
    PathException e = catchThrowableOfType(PathException.class, () -> TreePath.parse(path));
    assertThat(e).isNotNull();
    assertThat(e.reason()).isEqualTo(PathException.Reason.SYNTAX);
    assertThat(e.detail()).startsWith(detail);
    assertThat(e.path()).isEqualTo(path);
  }

  /** The examples in the package documentation parse to what the documentation says. */
  @Test
  void packageDocExamples() {
    assertThat(
            TreePath.parse("spec.template.spec.containers.[name:discovery].args.[30m]").segments())
        .endsWith(new Key("args", "args"), new ValueMatch("30m", "[30m]"));
    assertThat(
            TreePath.parse(
                    "spec.template.spec.containers[name:discovery].ports.[containerPort:8080].containerPort")
                .segments())
        .contains(new Match("containerPort", "8080", "[containerPort:8080]"));
    assertThat(
            TreePath.parse("webhooks.[name:namespace\\.sidecar-injector\\.istio\\.io].clientConfig")
                .segments()
                .get(1))
        .isEqualTo(
            new Match(
                "name",
                "namespace.sidecar-injector.istio.io",
                "[name:namespace\\.sidecar-injector\\.istio\\.io]"));
    assertThat(
            TreePath.parse("webhooks.[name:namespace.sidecar-injector.istio.io]").segments().get(1))
        .isEqualTo(
            new Match(
                "name",
                "namespace.sidecar-injector.istio.io",
                "[name:namespace.sidecar-injector.istio.io]"));
    assertThat(TreePath.parse("metadata.annotations.sidecar\\.istio\\.io/inject").segments().get(2))
        .isEqualTo(new Key("sidecar.istio.io/inject", "sidecar\\.istio\\.io/inject"));
    assertThat(
            TreePath.parse("values.gateways.istio-egressgateway.secretVolumes[0].name").segments())
        .contains(new Index(0, "[0]"));
    assertThat(TreePath.parse("spec.ports.[-1]").segments()).endsWith(new Index(-1, "[-1]"));
  }
}
