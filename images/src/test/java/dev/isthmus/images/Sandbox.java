package dev.isthmus.images;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code Sandbox} runs an unpacked image's command the way a container runtime would, without one:
 * in fresh mount and PID namespaces ({@code unshare}), with {@code /dev} and {@code /sys} bound
 * from the host, a new {@code /proc}, a tmpfs {@code /tmp} (the only writable place), the root
 * folder remounted read-only, only the image's environment plus {@code extraEnv}, and the image's
 * user ({@code chroot --userspec}), running {@code argv} (the image's entrypoint and arguments).
 * The network namespace is the host's, so that loopback reaches the test API server. {@code files}
 * are copied into {@code /tmp} before the root turns read-only.
 */
final class Sandbox {
  /** The setup run as PID 1 of the new namespaces, before it becomes the image's command. */
  private static final String SETUP =
      """
      set -eu
      root="$1"; shift
      mount --bind "$root" "$root"
      mount --rbind /dev "$root/dev"
      mount --rbind /sys "$root/sys"
      mount -t proc proc "$root/proc"
      mount -t tmpfs -o mode=1777,size=512m tmpfs "$root/tmp"
      while [ "$1" != "--" ]; do
        install -m 0644 "$1" "$root/tmp/$(basename "$1")"; shift
      done
      shift
      mount -o remount,bind,ro "$root"
      exec "$@"
      """;

  private Sandbox() {}

  /** Why the sandbox cannot run here, or null when it can. */
  static String unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "the image test needs root (mount and PID namespaces, chroot)";
    }
    for (String tool : List.of("unshare", "chroot", "mount")) {
      if (Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
          .noneMatch(d -> new File(d, tool).canExecute())) {
        return "the image test needs " + tool;
      }
    }
    return null;
  }

  static Process start(
      ImageArchive image,
      Path rootfs,
      List<Path> files,
      Map<String, String> extraEnv,
      List<String> argv,
      Path log)
      throws IOException {
    String user = image.user().isEmpty() ? "0:0" : image.user();
    if (!user.contains(":")) {
      user = user + ":" + user;
    }
    String workingDir = image.workingDir();
    if (!workingDir.isEmpty() && !workingDir.equals("/")) {
      throw new IllegalStateException(image.name() + ": WorkingDir " + workingDir + " unsupported");
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                "unshare",
                "--mount",
                "--pid",
                "--fork",
                "--kill-child",
                "--",
                "/bin/sh",
                "-c",
                SETUP,
                "sandbox",
                rootfs.toAbsolutePath().toString()));
    files.forEach(f -> command.add(f.toAbsolutePath().toString()));
    command.add("--");
    command.add("env");
    command.add("-i");
    command.addAll(image.env());
    extraEnv.forEach((k, v) -> command.add(k + "=" + v));
    command.add("/usr/sbin/chroot");
    command.add("--userspec=" + user);
    command.add(rootfs.toAbsolutePath().toString());
    command.addAll(argv);
    Files.createDirectories(log.getParent());
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
    // a test JVM that ends early leaves no image process behind
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> p.descendants().forEach(ProcessHandle::destroyForcibly)));
    return p;
  }

  /** The uid the process named {@code command} runs as, below {@code root}, from the host. */
  static long uidOf(Process root, String command) throws IOException {
    ProcessHandle p =
        root.descendants()
            .filter(h -> h.info().command().map(c -> c.endsWith("/" + command)).orElse(false))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no " + command + " below the sandbox"));
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
      if (line.startsWith("Uid:")) {
        return Long.parseLong(line.split("\\s+")[1]);
      }
    }
    throw new IllegalStateException("no Uid in /proc/" + p.pid() + "/status");
  }

  /**
   * Stops the sandbox: SIGTERM to every process below it, then SIGKILL to what is left. Killing
   * {@code unshare} alone is not enough: its {@code --kill-child} signal does not survive the
   * change of user made by {@code chroot --userspec}.
   */
  static void stop(Process p) throws InterruptedException {
    List<ProcessHandle> below = p.descendants().toList();
    below.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
    for (ProcessHandle h : below) {
      while (h.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      h.destroyForcibly();
    }
    p.destroy();
    if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
    }
  }
}
