package dev.isthmus.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.cli.cluster.VerbRunner.Run;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Flags of the cluster verbs, checked before any cluster is contacted: {@code --help} succeeds, a
 * bad flag or argument exits 1 with a message naming the verb and what was wrong.
 */
class ClusterVerbsCliTest {
  static Stream<Arguments> help() {
    return Stream.of(
        Arguments.of(new String[] {"tag", "--help"}, "Usage: isthmus tag"),
        Arguments.of(new String[] {"tag", "set", "--help"}, "--overwrite"),
        Arguments.of(new String[] {"x", "precheck", "--help"}, "Usage: isthmus x precheck"),
        Arguments.of(new String[] {"proxy-status", "--help"}, "--debug-address"),
        Arguments.of(new String[] {"analyze", "--help"}, "--all-namespaces"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("help")
  void helpSucceeds(String[] args, String says) {
    Run r = VerbRunner.run(args);
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains(says);
  }

  static Stream<Arguments> badFlags() {
    return Stream.of(
        Arguments.of(new String[] {"tag"}, "isthmus tag: expected a subcommand"),
        Arguments.of(
            new String[] {"tag", "set", "prod"},
            "isthmus tag: Missing required option: '--revision"),
        Arguments.of(new String[] {"tag", "set", "a", "b", "-r", "x"}, "isthmus tag: "),
        Arguments.of(new String[] {"tag", "remove"}, "TAG"),
        Arguments.of(new String[] {"x"}, "isthmus x: expected a subcommand: precheck"),
        Arguments.of(new String[] {"x", "precheck", "--bogus"}, "isthmus x precheck: "),
        Arguments.of(
            new String[] {"x", "precheck", "--kubeconfig", "/nonexistent/kc"},
            "--kubeconfig /nonexistent/kc: no such file"),
        Arguments.of(new String[] {"proxy-status", "a", "b"}, "isthmus proxy-status: "),
        Arguments.of(new String[] {"analyze", "-o", "table", "x.yaml"}, "--output table"),
        Arguments.of(
            new String[] {"analyze", "/nonexistent/config.yaml"},
            "/nonexistent/config.yaml: no such file"));
  }

  @org.junit.jupiter.api.Test
  void unreachableClusterExitsOneNamingTheVerb(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path kc = dir.resolve("kubeconfig");
    java.nio.file.Files.writeString(
        kc,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: gone
          cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
        contexts:
        - name: gone
          context: {cluster: gone, user: u}
        current-context: gone
        users:
        - name: u
          user: {token: t}
        """);
    for (String verb : new String[] {"tag list", "x precheck", "analyze", "proxy-status"}) {
      String[] words = (verb + " --kubeconfig " + kc).split(" ");
      Run r = VerbRunner.run(words);
      assertThat(r.code()).as(verb).isEqualTo(1);
      assertThat(r.err()).as(verb).startsWith("isthmus " + verb.split(" ")[0]);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFlags")
  void badFlagsExitOneNamingWhatWasWrong(String[] args, String says) {
    Run r = VerbRunner.run(args);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(says);
    assertThat(r.out()).isEmpty();
  }
}
