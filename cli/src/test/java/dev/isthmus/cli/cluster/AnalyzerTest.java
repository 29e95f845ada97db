package dev.isthmus.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.cli.cluster.VerbRunner.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code isthmus analyze FILE...} offline: the messages, their order and references, and the exit
 * codes (79 for an error, 0 for clean or for information only, 1 for bad input), as istioctl's
 * {@code analyze --use-kube=false}.
 */
class AnalyzerTest {
  @TempDir Path dir;

  static final String BROKEN =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: x
      spec:
        hosts: ["reviews"]
        gateways: ["missing-gw", "istio-system/ingress", "mesh"]
        http:
        - route:
          - destination:
              host: reviews
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata:
        name: bad
        namespace: shop
      spec:
        host: ""
      ---
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata:
        name: ingress
        namespace: istio-system
      spec:
        selector: {istio: ingressgateway}
        servers:
        - port: {number: 80, name: http, protocol: HTTP}
          hosts: ["*"]
      """;

  private static Run analyze(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "analyze";
    System.arraycopy(args, 0, all, 1, args.length);
    return VerbRunner.run(all);
  }

  @Test
  void brokenFileGetsCodesSortedLikeIstioctl() throws Exception {
    Path f = dir.resolve("broken.yaml");
    Files.writeString(f, BROKEN);
    Run r = analyze(f.toString());
    assertThat(r.code()).isEqualTo(79);
    assertThat(r.out().lines().toList())
        .containsExactly(
            "Error [IST0101] (VirtualService default/x "
                + f
                + ":1) Referenced gateway not found:"
                + " \"missing-gw\"",
            "Error [IST0106] (DestinationRule shop/bad "
                + f
                + ":13) Schema validation error: spec.host: destination rule must have a host");
    assertThat(r.err()).contains("Analyzers found issues when analyzing " + f);
  }

  @Test
  void namespaceFlagAppliesToObjectsWithoutOne() throws Exception {
    Path f = dir.resolve("broken.yaml");
    Files.writeString(f, BROKEN);
    Run r = analyze("-n", "shop", "-o", "yaml", f.toString());
    assertThat(r.out()).contains("origin: \"VirtualService shop/x\"").contains("code: \"IST0101\"");
  }

  @Test
  void cleanFolderExitsZero() throws Exception {
    Files.writeString(
        dir.resolve("dr.yaml"),
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ok, namespace: default}
        spec: {host: reviews}
        """);
    Files.writeString(dir.resolve("notes.txt"), "not config");
    Run r = analyze(dir.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("✔ No validation issues found when analyzing " + dir + ".");
  }

  @Test
  void failureThresholdWarningTurnsWarningsIntoExit79() throws Exception {
    Path f = dir.resolve("warn.yaml");
    Files.writeString(f, BROKEN.substring(0, BROKEN.indexOf("---")));
    assertThat(analyze("--failure-threshold", "Info", f.toString()).code()).isEqualTo(79);
    assertThat(
            analyze(
                    "--output-threshold",
                    "Error",
                    "--failure-threshold",
                    "Error",
                    dir.resolve("none.yaml").toString())
                .code())
        .isEqualTo(1);
  }

  @Test
  void badInputNamesWhatWasWrong() throws Exception {
    Path notK8s = dir.resolve("list.yaml");
    Files.writeString(notK8s, "- a\n- b\n");
    Path notYaml = dir.resolve("broken-syntax.yaml");
    Files.writeString(notYaml, "kind: [unclosed\n");
    assertThat(analyze(notK8s.toString()).err())
        .contains(notK8s + ":1: expected a Kubernetes object with apiVersion and kind");
    assertThat(analyze(notYaml.toString()).err()).contains(notYaml + ":1: not YAML");
    Run threshold = analyze("--failure-threshold", "Fatal", notK8s.toString());
    assertThat(threshold.code()).isEqualTo(1);
    assertThat(threshold.err()).contains("--failure-threshold Fatal");
  }
}
