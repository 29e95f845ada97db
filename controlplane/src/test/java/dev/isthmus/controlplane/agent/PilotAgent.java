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
 * it: {@code pilot-agent proxy sidecar} with the arguments and environment of Istio's injection
 * template, the projected {@code istio-ca} token and the {@code istio-ca-root-cert} ConfigMap laid
 * out under its working directory where the pod's volumes are mounted ({@code
 * ./var/run/secrets/tokens/istio-token}, {@code ./var/run/secrets/istio/root-cert.pem}, {@code
 * ./etc/istio/pod/labels}) with what the proxy image holds ({@code
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
   * What an injected pod gives its proxy container.
   *
   * @param namespace the pod's namespace
   * @param podName the pod's name
   * @param serviceAccount the pod's service account
   * @param podIp the pod's IP ({@code INSTANCE_IP})
   * @param labels the pod's labels (the downward-API {@code labels} file)
   * @param istiodNamespace the control plane's namespace: the agent dials {@code
   *     istiod.<ns>.svc:<port>} for xDS and certificates, as the template's {@code CA_ADDR} and the
   *     mesh's {@code discoveryAddress}
   * @param istiodPort the control plane's TLS port (15012 in a cluster)
   * @param token the projected service-account token of audience {@code istio-ca}
   * @param rootCert the {@code root-cert.pem} of ConfigMap {@code istio-ca-root-cert}
   * @param secretTtl the certificate lifetime the agent asks for ({@code SECRET_TTL})
   * @param proxyMetadata the mesh's {@code defaultConfig.proxyMetadata}, which the template turns
   *     into environment variables (e.g. {@code ISTIO_META_DNS_CAPTURE} for DNS proxying)
   */
  record Pod(
      String namespace,
      String podName,
      String serviceAccount,
      String podIp,
      Map<String, String> labels,
      String istiodNamespace,
      int istiodPort,
      String token,
      String rootCert,
      Duration secretTtl,
      Map<String, String> proxyMetadata) {

    String istiodAddress() {
      return "istiod." + istiodNamespace + ".svc:" + istiodPort;
    }
  }

  /** Lays out the pod's files under a fresh directory and starts the agent there. */
  static PilotAgent start(Path binary, Pod pod) throws IOException {
    Path dir = Files.createTempDirectory("pilot-agent-");
    write(dir.resolve("var/run/secrets/tokens/istio-token"), pod.token());
    write(dir.resolve("var/run/secrets/istio/root-cert.pem"), pod.rootCert());
    StringBuilder labels = new StringBuilder();
    pod.labels().forEach((k, v) -> labels.append(k).append("=\"").append(v).append("\"\n"));
    write(dir.resolve("etc/istio/pod/labels"), labels.toString());
    write(dir.resolve("etc/istio/pod/annotations"), "");
    Path template = dir.resolve("var/lib/istio/envoy/" + BOOTSTRAP_TEMPLATE);
    Files.createDirectories(template.getParent());
    Files.copy(binary.resolveSibling(BOOTSTRAP_TEMPLATE), template);
    Path hosts = dir.resolve("hosts");
    write(
        hosts,
        "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 "
            + pod.istiodAddress().substring(0, pod.istiodAddress().indexOf(':'))
            + "\n");
    Path envoy = EnvoyStandIn.script(dir);
    int statusPort = freePort();
    int dnsPort = freePort();

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
    // The injection template's arguments (default values: logLevel warning, componentLogLevel
    // misc:error, logging.level default:info; no --stsPort as global.sts.servicePort is 0).
    cmd.addAll(
        List.of(
            "proxy",
            "sidecar",
            "--domain",
            pod.namespace() + ".svc.cluster.local",
            "--proxyLogLevel=warning",
            "--proxyComponentLogLevel=misc:error",
            "--log_output_level=default:info"));

    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.putAll(environment(pod, envoy, statusPort, dnsPort));
    Path log = dir.resolve("pilot-agent.log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    return new PilotAgent(dir, log, statusPort, dnsPort, pb.start());
  }

  /**
   * The {@code istio-proxy} container's environment as the injection template renders it for a pod
   * of the default profile (downward-API values resolved) and the mesh's {@code proxyMetadata},
   * plus {@code SECRET_TTL}; the mesh's {@code defaultConfig} in {@code PROXY_CONFIG} carries the
   * discovery address, the status port and the stand-in for Envoy as {@code binaryPath}. The status
   * and DNS proxy ports are free ones, as several agents may run on one machine.
   */
  static Map<String, String> environment(Pod pod, Path envoy, int statusPort, int dnsPort) {
    StringBuilder metadata = new StringBuilder();
    pod.proxyMetadata()
        .forEach(
            (k, v) ->
                metadata
                    .append(metadata.isEmpty() ? "" : ",")
                    .append('"')
                    .append(k)
                    .append("\":\"")
                    .append(v)
                    .append('"'));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PILOT_CERT_PROVIDER", "istiod");
    env.put("CA_ADDR", pod.istiodAddress());
    env.put("POD_NAME", pod.podName());
    env.put("POD_NAMESPACE", pod.namespace());
    env.put("INSTANCE_IP", pod.podIp());
    env.put("SERVICE_ACCOUNT", pod.serviceAccount());
    env.put("HOST_IP", "127.0.0.1");
    env.put("ISTIO_CPU_LIMIT", "2");
    env.put(
        "PROXY_CONFIG",
        "{\"discoveryAddress\":\""
            + pod.istiodAddress()
            + "\",\"statusPort\":"
            + statusPort
            + ",\"binaryPath\":\""
            + envoy
            + "\",\"proxyMetadata\":{"
            + metadata
            + "}}");
    env.put(
        "ISTIO_META_POD_PORTS",
        "[\n{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"}\n]");
    env.put("ISTIO_META_APP_CONTAINERS", "app");
    env.put("GOMEMLIMIT", Long.toString(1L << 30));
    env.put("GOMAXPROCS", "2");
    env.put("ISTIO_META_CLUSTER_ID", "Kubernetes");
    env.put("ISTIO_META_NODE_NAME", "node-a");
    env.put("ISTIO_META_INTERCEPTION_MODE", "REDIRECT");
    String workload = pod.labels().getOrDefault("app", pod.podName());
    env.put("ISTIO_META_WORKLOAD_NAME", workload);
    env.put(
        "ISTIO_META_OWNER",
        "kubernetes://apis/apps/v1/namespaces/" + pod.namespace() + "/deployments/" + workload);
    env.put("ISTIO_META_MESH_ID", "cluster.local");
    env.put("TRUST_DOMAIN", "cluster.local");
    env.putAll(pod.proxyMetadata());
    env.put("SECRET_TTL", pod.secretTtl().toSeconds() + "s");
    // The DNS proxy's address (default localhost:15053) on a free port, as for the status port.
    env.put("DNS_PROXY_ADDR", "127.0.0.1:" + dnsPort);
    return env;
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
