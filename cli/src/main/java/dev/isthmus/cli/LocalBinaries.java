package dev.isthmus.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code LocalBinaries} finds the kube-apiserver and etcd that {@code isthmus up} runs, in
 * kube-api-test's folder ({@code $KUBE_API_TEST_DIR}, else {@code ~/.kubeapitest}), and when there
 * are none builds them with {@code scripts/kube-binaries.sh} — the script CI uses, from the
 * checkout the command-line jar was built in — instead of letting kube-api-test try a download that
 * may have no route.
 */
final class LocalBinaries {
  private LocalBinaries() {}

  /** kube-api-test's folder for the given environment and home. */
  static Path root(Map<String, String> env, String home) {
    String dir = env.get("KUBE_API_TEST_DIR");
    return dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(home, ".kubeapitest");
  }

  /** True when a {@code k8s/<version>/} folder under {@code root} holds kube-apiserver and etcd. */
  static boolean present(Path root) {
    Path k8s = root.resolve("k8s");
    if (!Files.isDirectory(k8s)) {
      return false;
    }
    try (Stream<Path> versions = Files.list(k8s)) {
      return versions.anyMatch(
          v ->
              Files.isExecutable(v.resolve("kube-apiserver"))
                  && Files.isExecutable(v.resolve("etcd")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The build script of the checkout that holds {@code jar} ({@code <root>/cli/target/<jar>}), if
   * there is one.
   */
  static Optional<Path> script(Path jar) {
    Path checkout = jar.toAbsolutePath().getParent();
    for (int i = 0; i < 2 && checkout != null; i++) {
      checkout = checkout.getParent();
    }
    return Optional.ofNullable(checkout)
        .map(c -> c.resolve("scripts").resolve("kube-binaries.sh"))
        .filter(Files::isRegularFile);
  }

  /**
   * Makes sure the binaries are there, building them (progress on this process's stderr) when they
   * are not.
   *
   * @throws IllegalStateException when they are missing and cannot be built
   */
  static void provision(Map<String, String> env, String home) {
    Path root = root(env, home);
    if (present(root)) {
      return;
    }
    Path script =
        runningJar()
            .flatMap(LocalBinaries::script)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no kube-apiserver/etcd under "
                            + root
                            + "/k8s and no scripts/kube-binaries.sh beside this jar to build them"));
    System.err.println(
        "isthmus up: no kube-apiserver/etcd under " + root + "/k8s: building them with " + script);
    try {
      Process p =
          new ProcessBuilder("bash", script.toString())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      int code = p.waitFor();
      if (code != 0 || !present(root)) {
        throw new IllegalStateException(script + " failed (exit " + code + ")");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the API server binaries", e);
    }
  }

  private static Optional<Path> runningJar() {
    try {
      File f =
          new File(LocalBinaries.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return f.isFile() ? Optional.of(f.toPath()) : Optional.empty();
    } catch (URISyntaxException | SecurityException e) {
      return Optional.empty();
    }
  }
}
