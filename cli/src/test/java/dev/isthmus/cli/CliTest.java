package dev.isthmus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Flags of the long-running verbs: bad ones exit 1 with a message naming the verb and the flag. */
class CliTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        IsthmusMain.dispatch(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Stream<Arguments> badFlags() {
    return Stream.of(
        Arguments.of(new String[] {"operator", "--http-port", "lots"}, "isthmus operator: "),
        Arguments.of(new String[] {"operator", "--crds", "sideways"}, "isthmus operator: "),
        Arguments.of(new String[] {"operator", "--colour"}, "--colour"),
        Arguments.of(new String[] {"up", "--bogus"}, "isthmus up: "),
        Arguments.of(new String[] {"up", "-f"}, "isthmus up: "),
        Arguments.of(new String[] {"controlplane", "--namespace"}, "isthmus controlplane: "),
        Arguments.of(new String[] {"controlplane", "--revision", "a", "extra"}, "extra"),
        Arguments.of(new String[] {"install", "--bogus"}, "isthmus install: "),
        Arguments.of(new String[] {"install", "--readiness-timeout", "soon"}, "not a duration"),
        Arguments.of(new String[] {"upgrade", "-f"}, "isthmus upgrade: "),
        Arguments.of(new String[] {"uninstall", "--purge", "extra"}, "isthmus uninstall: "),
        Arguments.of(new String[] {"verify-install", "--bogus"}, "isthmus verify-install: "),
        Arguments.of(new String[] {"diff", "-y"}, "isthmus diff: "));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFlags")
  void badFlagsExitOneNamingTheVerbAndNothingStarts(String[] args, String says) {
    Run r = run(args);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(says);
    assertThat(r.out()).isEmpty();
  }

  @ParameterizedTest(name = "{0} --help")
  @MethodSource("verbs")
  void helpPrintsUsageAndSucceeds(String verb) {
    Run r = run(verb, "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Usage: isthmus " + verb);
  }

  static Stream<String> verbs() {
    return Stream.of(
        "operator",
        "up",
        "controlplane",
        "install",
        "upgrade",
        "uninstall",
        "verify-install",
        "diff");
  }
}
