package dev.isthmus.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Ctrl-C on {@code isthmus up}: a terminal sends SIGINT to the whole process group, so etcd and
 * kube-apiserver stop at the same moment as the JVM. {@code up} must still exit promptly, leave no
 * child process running and remove the local API server's data. Runs the built command-line jar in
 * its own process group ({@code setsid}), as a shell in a terminal would.
 */
class UpInterruptIT {
  /** The bound is 5 s; the margin is for a machine busy with other builds. */
  static final Duration EXIT_WITHIN = Duration.ofSeconds(10);

  private Process up;

  @AfterEach
  void cleanUp() throws Exception {
    if (up != null && up.isAlive()) {
      new ProcessBuilder("kill", "-KILL", "--", "-" + up.pid()).start().waitFor();
    }
  }

  @Test
  void ctrlCToTheProcessGroupStopsEverythingPromptly() throws Exception {
    File log = File.createTempFile("isthmus-up", ".log");
    up =
        new ProcessBuilder(
                "setsid",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                cliJar().toString(),
                "up",
                "--embedded")
            .redirectErrorStream(true)
            .redirectOutput(log)
            .start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (!Files.readString(log.toPath()).contains("Press Ctrl-C to stop.")) {
      assertThat(up.isAlive()).as("isthmus up is running: " + tail(log)).isTrue();
      assertThat(System.nanoTime()).as("isthmus up ready: " + tail(log)).isLessThan(deadline);
      Thread.sleep(500);
    }
    List<ProcessHandle> children = up.descendants().toList();
    List<String> etcdData = new ArrayList<>();
    for (ProcessHandle child : children) {
      List<String> args = List.of(child.info().arguments().orElse(new String[0]));
      int i = args.indexOf("-data-dir");
      if (i >= 0) {
        etcdData.add(args.get(i + 1));
      }
    }
    assertThat(children)
        .as("etcd and kube-apiserver run as children")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(etcdData).as("etcd's data folder").hasSize(1);

    new ProcessBuilder("kill", "-INT", "--", "-" + up.pid()).inheritIO().start().waitFor();
    long sent = System.nanoTime();
    boolean exited = up.waitFor(EXIT_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
    System.out.printf(
        "[up] %s %.1f s after SIGINT to its process group%n",
        exited ? "exited" : "still running", (System.nanoTime() - sent) / 1e9);
    assertThat(exited).as("isthmus up exited after Ctrl-C: " + tail(log)).isTrue();
    for (ProcessHandle child : children) {
      child.onExit().get(5, TimeUnit.SECONDS);
      assertThat(child.isAlive()).as("child " + child.pid()).isFalse();
    }
    assertThat(Path.of(etcdData.get(0))).as("etcd's data is removed").doesNotExist();
  }

  private static String tail(File log) throws IOException {
    List<String> lines = Files.readAllLines(log.toPath());
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
  }

  private static Path cliJar() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("..", "..", "cli", "target"))) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("the command-line jar is not built"));
    }
  }
}
