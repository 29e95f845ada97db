package dev.isthmus.translate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.translate.Yamls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestCliTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int code =
        ManifestCli.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void profileListNamesEveryProfile() {
    Run r = run("profile", "list");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("    default\n", "    demo\n", "    minimal\n", "    empty\n", "    remote\n")
        .contains("    ambient\n", "    preview\n", "    stable\n", "    openshift\n")
        .contains("    openshift-ambient\n");
  }

  @Test
  void profileDumpMergesOnDefault() {
    Run r = run("profile", "dump", "demo");
    assertThat(r.code()).isZero();
    var tree = Yamls.parseAll(r.out()).get(0);
    assertThat(tree.at("/spec/profile").asText()).isEqualTo("demo");
    assertThat(tree.at("/spec/components/pilot/enabled").asBoolean()).isTrue();
    assertThat(tree.at("/spec/components/egressGateways/0/enabled").asBoolean()).isTrue();
    assertThat(tree.at("/spec/meshConfig/accessLogFile").asText()).isEqualTo("/dev/stdout");
  }

  @Test
  void generateWithFilesSetsRevisionAndComponent(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("iop.yaml");
    Files.writeString(
        f,
        "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n");
    Run r =
        run(
            "manifest",
            "generate",
            "-f",
            f.toString(),
            "--set",
            "values.pilot.autoscaleEnabled=false",
            "--set=values.pilot.replicaCount=2",
            "-r",
            "blue",
            "--component",
            "Pilot");
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    var objects = Yamls.parseAll(r.out()).stream().filter(o -> o != null).toList();
    assertThat(objects)
        .allMatch(
            o -> o.at("/metadata/labels/operator.istio.io~1component").asText().equals("Pilot"));
    var deployment =
        objects.stream()
            .filter(o -> o.path("kind").asText().equals("Deployment"))
            .findFirst()
            .orElseThrow();
    assertThat(deployment.at("/metadata/name").asText()).isEqualTo("istiod-blue");
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(objects).noneMatch(o -> o.path("kind").asText().equals("HorizontalPodAutoscaler"));
  }

  @Test
  void profileMayBeAFilePath(@TempDir Path dir) throws IOException {
    Path profile = dir.resolve("my-profile.yaml");
    Files.writeString(
        profile,
        "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n"
            + "    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: false\n");
    Run r = run("manifest", "generate", "--set", "profile=" + profile);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("name: istiod\n").doesNotContain("name: istio-ingressgateway\n");
  }

  @Test
  void errorsGoToStderrWithPathsAndNothingToStdout() {
    Run r = run("manifest", "generate", "--set", "revision=Bad_Rev", "--set", "values.nope=1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("error: spec.revision: \"Bad_Rev\" is not a DNS-1123 label")
        .contains("error: spec.values.nope: unknown value");
  }

  @Test
  void unreadableFileIsAnError(@TempDir Path dir) {
    Run r = run("manifest", "generate", "-f", dir.resolve("missing.yaml").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("-f " + dir.resolve("missing.yaml") + ": cannot read file");
  }

  @Test
  void forceRendersWithWarnings() {
    Run r = run("manifest", "generate", "--set", "values.global.badKey=1", "--force");
    assertThat(r.code()).isZero();
    assertThat(r.err()).contains("warning: ignored because of --force: spec.values.global.badKey");
    assertThat(r.out()).contains("kind: Deployment");
  }

  @Test
  void unknownCommandAndFlagPrintUsage() {
    Run a = run("manifest", "apply");
    assertThat(a.code()).isEqualTo(1);
    assertThat(a.err()).contains("usage:");
    Run b = run("manifest", "generate", "--bogus");
    assertThat(b.code()).isEqualTo(1);
    assertThat(b.out()).isEmpty();
    assertThat(b.err()).contains("unknown flag: --bogus");
  }

  @Test
  void unknownComponentIsAnError() {
    Run r = run("manifest", "generate", "--component", "Nope");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("--component: no enabled component matches Nope");
  }
}
