package dev.isthmus.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.translate.cli.ManifestCli;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/isthmus manifest generate} starts the render without the application framework and
 * with a class-data-sharing archive it writes on first use. Whatever the start, the output is the
 * renderer's, byte for byte, and errors keep the stable interface: a message naming the field on
 * stderr, exit code 1, nothing on stdout.
 */
class BinIsthmusIT {
  private static final Path ROOT = Path.of("..", "..").toAbsolutePath().normalize();

  record Run(int code, String out, String err) {}

  @Test
  void manifestGenerateIsTheRenderersOutputWithAndWithoutTheArchive() throws Exception {
    Path archive = archive();
    Files.deleteIfExists(archive);
    String[] args = {"manifest", "generate", "--set", "profile=minimal", "-r", "canary"};
    String expected = inProcess(args);

    Run first = bin(args);
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.out()).isEqualTo(expected);
    assertThat(archive).as("the archive the first render writes").exists();

    Run second = bin(args);
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(second.out()).isEqualTo(expected);
    assertThat(second.err()).as("no class-data-sharing warning on stderr").isEmpty();
  }

  @Test
  void aBadValueNamesItsFieldExitsOneAndPrintsNothing() throws Exception {
    Run run = bin("manifest", "generate", "--set", "components.pilot.k8s.replicaCount=-2");
    assertThat(run.code()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("components.pilot.k8s.replicaCount");
  }

  @Test
  void aStaleArchiveIsReplacedNotTrusted() throws Exception {
    Path archive = archive();
    Files.writeString(archive, "not an archive");
    Files.setLastModifiedTime(
        archive, FileTime.from(Files.getLastModifiedTime(cliJar()).toInstant().minusSeconds(60)));
    Run run = bin("profile", "list");
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("default").contains("minimal");
    assertThat(Files.size(archive)).as("rewritten by the run").isGreaterThan(1024);
  }

  private static String inProcess(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ManifestCli.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }

  private static Run bin(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/isthmus").toString()));
    command.addAll(List.of(args));
    File out = File.createTempFile("isthmus", ".out");
    File err = File.createTempFile("isthmus", ".err");
    Process p = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("bin/isthmus finished").isTrue();
    return new Run(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
  }

  private static Path archive() throws Exception {
    return cliJar().resolveSibling(cliJar().getFileName() + ".jsa");
  }

  private static Path cliJar() throws Exception {
    try (Stream<Path> files = Files.list(ROOT.resolve("cli/target"))) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("the command-line jar is not built"));
    }
  }
}
