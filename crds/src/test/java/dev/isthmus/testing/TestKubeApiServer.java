package dev.isthmus.testing;

import dev.isthmus.api.Crds;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.VersionInfo;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One real kube-apiserver + etcd per test JVM (fabric8 kube-api-test), started on first use with
 * every Isthmus CRD installed and Established, stopped when the JVM exits. Binaries come from
 * {@code $KUBE_API_TEST_DIR} or {@code ~/.kubeapitest/k8s/<version>-linux-amd64/}; {@code
 * scripts/kube-binaries.sh} builds them offline.
 */
public final class TestKubeApiServer implements AutoCloseable {
  /**
   * Held so the levels stick: libraries' debug output (JOSDK formats its informers at debug) drowns
   * test logs.
   */
  private static final java.util.List<java.util.logging.Logger> QUIET =
      java.util.stream.Stream.of(
              "io.javaoperatorsdk", "io.fabric8", "io.grpc", "io.netty", "io.vertx")
          .map(java.util.logging.Logger::getLogger)
          .peek(l -> l.setLevel(java.util.logging.Level.INFO))
          .toList();

  private static TestKubeApiServer instance;

  private final KubeAPIServer server;
  private final String kubeConfigYaml;
  private final KubernetesClient client;

  /** The kube-apiserver started by {@link #restartApiServer}, once kube-api-test's is stopped. */
  private Process restarted;

  /** True from the moment kube-apiserver is stopped by a restart until it answers again. */
  private volatile boolean down;

  private TestKubeApiServer() {
    boolean offline =
        Boolean.parseBoolean(System.getenv().getOrDefault("KUBE_API_TEST_OFFLINE_MODE", "false"));
    Optional<Path> binaries = localBinaries();
    System.out.println(
        "[test-apiserver] starting kube-apiserver from "
            + binaries.map(Path::toString).orElse("(download)")
            + (offline ? " (offline mode)" : ""));
    server = startWithRetries(offline);
    kubeConfigYaml = server.getKubeConfigYaml();
    client = newClient();
    VersionInfo v = client.getKubernetesVersion();
    System.out.println(
        "[test-apiserver] kube-apiserver "
            + v.getGitVersion()
            + " ready at "
            + client.getMasterUrl()
            + binaries.map(p -> " (binary " + p.resolve("kube-apiserver") + ")").orElse(""));
    installCrds();
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "test-apiserver-stop"));
  }

  /**
   * Starts the server; a start can fail when a randomly chosen port is taken by another process on
   * a busy machine, so it is retried a few times before giving up.
   */
  private static KubeAPIServer startWithRetries(boolean offline) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      KubeAPIServer s =
          new KubeAPIServer(
              KubeAPIServerConfigBuilder.anAPIServerConfig()
                  .withOfflineMode(offline)
                  .withUpdateKubeConfig(false)
                  .withStartupTimeout(120_000)
                  .build());
      try {
        s.start();
        return s;
      } catch (RuntimeException e) {
        last = e;
        System.out.println(
            "[test-apiserver] start attempt " + attempt + " failed: " + e.getMessage());
        try {
          s.stop();
        } catch (RuntimeException ignored) {
          // already stopped
        }
      }
    }
    throw last;
  }

  /** The shared server, started on first call. */
  public static synchronized TestKubeApiServer get() {
    if (instance == null) {
      instance = new TestKubeApiServer();
    }
    return instance;
  }

  /**
   * A server of the caller's own, apart from the shared one, for a test whose helpers act on the
   * whole cluster (kube-controller-manager's garbage collector would delete other tests' objects);
   * the caller closes it.
   */
  public static TestKubeApiServer startSeparate() {
    return new TestKubeApiServer();
  }

  /** The folder of kube-apiserver and the binaries built beside it, when there is one. */
  public static Optional<Path> binaryFolder() {
    return localBinaries();
  }

  @Override
  public void close() {
    stop();
  }

  /** A client owned by this server; do not close it. */
  public KubernetesClient client() {
    return client;
  }

  /** A fresh client the caller owns and closes. */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
  }

  /** Kubeconfig YAML that reaches this server. */
  public String kubeConfigYaml() {
    return kubeConfigYaml;
  }

  /**
   * Stops kube-apiserver, waits {@code down}, and starts it again with the same command line: the
   * same address, certificates and etcd, so every object survives, as when a control-plane node
   * restarts its API server. Returns once the new process answers {@code /readyz}. kube-api-test
   * has no restart of its own, and stopping its process any other way makes it stop etcd too.
   */
  public synchronized void restartApiServer(java.time.Duration down) {
    ProcessHandle running =
        restarted != null ? restarted.toHandle() : apiServerProcess().orElseThrow();
    java.util.List<String> command = commandLine(running);
    if (restarted != null) {
      restarted.destroy();
      restarted.onExit().join();
    } else {
      try {
        java.lang.reflect.Field f = KubeAPIServer.class.getDeclaredField("kubeApiServerProcess");
        f.setAccessible(true);
        ((io.fabric8.kubeapitest.process.KubeAPIServerProcess) f.get(server)).stopApiServer();
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("kube-api-test changed: cannot stop kube-apiserver", e);
      }
      running.onExit().join();
    }
    this.down = true;
    System.out.println("[test-apiserver] kube-apiserver stopped for " + down.toMillis() + " ms");
    sleep(down.toMillis());
    try {
      File log = File.createTempFile("kube-apiserver-restarted", ".log");
      restarted =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(log))
              .start();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
    while (!ready()) {
      if (System.nanoTime() > deadline || !restarted.isAlive()) {
        throw new IllegalStateException("kube-apiserver did not come back after a restart");
      }
      sleep(200);
    }
    this.down = false;
    System.out.println("[test-apiserver] kube-apiserver restarted and ready");
  }

  /** True while a {@link #restartApiServer restart} has kube-apiserver stopped. */
  public boolean down() {
    return down;
  }

  /** True when kube-apiserver answers {@code /readyz} with ok, asked once without retries. */
  private boolean ready() {
    Config config =
        new io.fabric8.kubernetes.client.ConfigBuilder(Config.fromKubeconfig(kubeConfigYaml))
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(2_000)
            .build();
    try (KubernetesClient probe = new KubernetesClientBuilder().withConfig(config).build()) {
      return "ok".equals(probe.raw("/readyz"));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Optional<ProcessHandle> apiServerProcess() {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("/kube-apiserver")).orElse(false))
        .findFirst();
  }

  private static java.util.List<String> commandLine(ProcessHandle p) {
    try {
      String raw = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
      return java.util.List.of(raw.split("\0"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void installCrds() {
    Crds.install(client, "isthmus-tests", 60);
  }

  /** True when the CRD reports the Established condition. */
  public static boolean established(CustomResourceDefinition crd) {
    return Crds.established(crd);
  }

  private boolean stopped;

  private synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      client.close();
      if (restarted != null) {
        restarted.destroy();
      }
    } finally {
      server.stop();
    }
  }

  private static Optional<Path> localBinaries() {
    String dir = System.getenv("KUBE_API_TEST_DIR");
    Path root =
        dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".kubeapitest");
    Path k8s = root.resolve("k8s");
    if (!Files.isDirectory(k8s)) {
      return Optional.empty();
    }
    try (Stream<Path> dirs = Files.list(k8s)) {
      return dirs.filter(p -> new File(p.toFile(), "kube-apiserver").canExecute())
          .max(Comparator.comparing(p -> versionKey(p.getFileName().toString())));
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }

  private static String versionKey(String folder) {
    StringBuilder key = new StringBuilder();
    for (String part : folder.replaceAll("-.*", "").split("\\.")) {
      key.append(String.format("%06d", Integer.parseInt(part.replaceAll("\\D", "0"))));
    }
    return key.toString();
  }
}
