package dev.isthmus.controlplane.agent;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Istio's own {@code pilot-agent}, run as the {@code istio-proxy} container of an injected pod runs
 * it: {@code pilot-agent proxy sidecar} with the arguments and environment of the {@code
 * istio-proxy} container Isthmus's sidecar injector renders ({@link InjectedProxy}), the projected
 * {@code istio-ca} token and the {@code istio-ca-root-cert} ConfigMap laid out under its working
 * directory where the pod's volumes are mounted ({@code ./var/run/secrets/tokens/istio-token},
 * {@code ./var/run/secrets/istio/root-cert.pem}, {@code ./etc/istio/pod/labels} and {@code
 * annotations}) with what the proxy image holds ({@code
 * ./var/lib/istio/envoy/envoy_bootstrap_tmpl.json}), and the control plane reached by its service
 * name {@code istiod.<ns>.svc}, which a private {@code /etc/hosts} resolves to 127.0.0.1.
 *
 * <p>The agent runs in a private mount namespace ({@code unshare -m}) so that the {@code
 * /etc/hosts} it sees is the test's; everything it writes (Envoy's bootstrap, the XDS and SDS
 * sockets) lands under the working directory. Envoy cannot run here: the agent launches {@link
 * EnvoyStandIn#script a stand-in for Envoy} and the test plays Envoy's part on the agent's sockets.
 */
final class PilotAgent implements AutoCloseable {
  /** The Istio commit {@code scripts/istio-binaries.sh} builds, unless told otherwise. */
  static final String ISTIO_VERSION = "v0.0.0-20260827124520-eed52ebb66ad";

  /**
   * Envoy's bootstrap template, which the proxy image ships in {@code /var/lib/istio/envoy/} and
   * {@code scripts/istio-binaries.sh} puts next to the binary.
   */
  static final String BOOTSTRAP_TEMPLATE = "envoy_bootstrap_tmpl.json";

  final Path dir;
  final Path log;
  final int statusPort;
  final int dnsPort;
  private final Process process;
  private String finalOutput;

  private PilotAgent(Path dir, Path log, int statusPort, int dnsPort, Process process) {
    this.dir = dir;
    this.log = log;
    this.statusPort = statusPort;
    this.dnsPort = dnsPort;
    this.process = process;
  }

  /**
   * The {@code pilot-agent} binary in the folder {@code scripts/istio-binaries.sh} fills: {@code
   * -Distio.bin.dir}, else {@code $ISTIO_BIN_DIR}, else {@code ~/.isthmus/istio/<version>/}.
   * Missing, the test fails under {@code CI=true} and is skipped elsewhere; so is a machine where
   * this user cannot make a mount namespace.
   */
  static Path binary() {
    String prop = System.getProperty("istio.bin.dir");
    String env = System.getenv("ISTIO_BIN_DIR");
    Path folder =
        prop != null && !prop.isBlank()
            ? Path.of(prop)
            : env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".isthmus", "istio", ISTIO_VERSION);
    Path bin = folder.resolve("pilot-agent");
    require(
        Files.isExecutable(bin),
        "pilot-agent not found at "
            + bin
            + " (build it with `bash scripts/istio-binaries.sh`, or pass -Distio.bin.dir=FOLDER)");
    require(
        Files.isRegularFile(bin.resolveSibling(BOOTSTRAP_TEMPLATE)),
        "Envoy's bootstrap template not found next to "
            + bin
            + " (`bash scripts/istio-binaries.sh` puts it there)");
    require(
        canUnshareMounts(),
        "cannot create a private mount namespace (`unshare -m` needs root or CAP_SYS_ADMIN)");
    return bin;
  }

  private static void require(boolean ok, String why) {
    if (!ok) {
      if ("true".equals(System.getenv("CI"))) {
        fail(why);
      }
      assumeTrue(false, why + "; skipping");
    }
  }

  private static boolean canUnshareMounts() {
    try {
      Process p = new ProcessBuilder("unshare", "-m", "true").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * The pod's secrets as the kubelet mounts them.
   *
   * @param token the projected service-account token of audience {@code istio-ca}
   * @param rootCert the {@code root-cert.pem} of ConfigMap {@code istio-ca-root-cert}
   */
  record Secrets(String token, String rootCert) {}

  /**
   * Lays out the pod's files under a fresh directory and starts {@code proxy}'s command there. What
   * differs from the injected container: the port of the control plane (in-process, on a free port
   * rather than 15012) in {@code CA_ADDR} and the mesh's {@code discoveryAddress}, the stand-in for
   * Envoy as {@code binaryPath}, free ports for the agent's status server and DNS proxy (several
   * agents may run on one machine), and {@code secretTtl} as {@code SECRET_TTL}.
   *
   * @param istiodPort the control plane's TLS port
   */
  static PilotAgent start(
      Path binary, InjectedProxy proxy, Secrets secrets, int istiodPort, Duration secretTtl)
      throws IOException {
    Path dir = Files.createTempDirectory("pilot-agent-");
    write(dir.resolve("var/run/secrets/tokens/istio-token"), secrets.token());
    write(dir.resolve("var/run/secrets/istio/root-cert.pem"), secrets.rootCert());
    write(dir.resolve("etc/istio/pod/labels"), InjectedProxy.downwardApi(proxy.labels()));
    write(dir.resolve("etc/istio/pod/annotations"), InjectedProxy.downwardApi(proxy.annotations()));
    Path template = dir.resolve("var/lib/istio/envoy/" + BOOTSTRAP_TEMPLATE);
    Files.createDirectories(template.getParent());
    Files.copy(binary.resolveSibling(BOOTSTRAP_TEMPLATE), template);
    Path envoy = EnvoyStandIn.script(dir);
    int statusPort = freePort();
    int dnsPort = freePort();

    Map<String, String> env = new LinkedHashMap<>(proxy.env());
    String discovery =
        InjectedProxy.proxyConfigField(env.get("PROXY_CONFIG"), "discoveryAddress").asText();
    String istiod = discovery.substring(0, discovery.lastIndexOf(':'));
    env.put("CA_ADDR", withPort(env.get("CA_ADDR"), istiodPort));
    env.put(
        "PROXY_CONFIG",
        InjectedProxy.proxyConfig(
            env.get("PROXY_CONFIG"),
            Map.of(
                "discoveryAddress",
                istiod + ":" + istiodPort,
                "binaryPath",
                envoy.toString(),
                "statusPort",
                statusPort)));
    env.put("SECRET_TTL", secretTtl.toSeconds() + "s");
    env.put("DNS_PROXY_ADDR", "127.0.0.1:" + dnsPort);

    // istiod's service name resolves to the in-process control plane, for the agent only
    Path hosts = dir.resolve("hosts");
    write(hosts, "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 " + istiod + "\n");
    List<String> cmd = new ArrayList<>();
    // The mount namespace is private (unshare's default propagation), so /etc/hosts changes for
    // the agent only; `exec` keeps the agent the process this test started and stops.
    cmd.addAll(
        List.of(
            "unshare",
            "-m",
            "sh",
            "-c",
            "mount --bind \"$1\" /etc/hosts && cd \"$2\" && shift 2 && exec \"$@\"",
            "pilot-agent-in-pod",
            hosts.toString(),
            dir.toString(),
            binary.toString()));
    cmd.addAll(proxy.args());

    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().putAll(env);
    Path log = dir.resolve("pilot-agent.log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process process = pb.start();
    // an agent outliving the test run (a killed JVM) would keep its ports and sockets
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    return new PilotAgent(dir, log, statusPort, dnsPort, process);
  }

  private static String withPort(String address, int port) {
    return address.substring(0, address.lastIndexOf(':') + 1) + port;
  }

  /** Whether the agent is still running. */
  boolean alive() {
    return process.isAlive();
  }

  /** The agent's output so far. */
  String output() {
    if (finalOutput != null) {
      return finalOutput;
    }
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  /** A file under the agent's working directory (where the pod's volumes are mounted). */
  Path path(String relative) {
    return dir.resolve(relative);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    finalOutput = output();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }

  private static void write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
