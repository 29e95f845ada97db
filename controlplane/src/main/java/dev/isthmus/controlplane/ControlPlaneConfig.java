package dev.isthmus.controlplane;

import java.time.Duration;

/**
 * {@code ControlPlaneConfig} holds the settings of an embedded or standalone control plane. A port
 * of 0 binds an ephemeral port (tests); the bound ports are reported by {@link ControlPlane}.
 *
 * @param namespace namespace the control plane runs in (Istio's {@code istio-system})
 * @param revision control plane revision, {@code default} when unset
 * @param xdsPort plaintext xDS port (15010)
 * @param secureXdsPort TLS xDS port (15012), also serving the CA when one is plugged in
 * @param monitoringPort Prometheus metrics and debug endpoints (15014)
 * @param readinessPort {@code /ready} (8080)
 * @param clusterDomain DNS domain of services ({@code cluster.local})
 * @param debounceQuiet push after this long without a new change (100 ms)
 * @param debounceMax push at the latest this long after the first merged change (10 s)
 * @param trustDomain SPIFFE trust domain ({@code cluster.local})
 * @param debugOpen whether {@code /debug/*} on the monitoring port answers any caller; by default
 *     only callers on localhost and callers authenticated as the control plane's namespace
 * @param xdsStreamsPerSecond new xDS streams accepted per second (istiod's {@code
 *     PILOT_MAX_REQUESTS_PER_SECOND}); 0 turns the limit off
 * @param servingNames extra DNS names or IP addresses of the serving certificate (xDS, CA,
 *     webhooks), beyond the istiod Service's names: istiod's {@code ISTIOD_CUSTOM_HOST}, and the
 *     loopback names of a control plane run out of cluster
 */
public record ControlPlaneConfig(
    String namespace,
    String revision,
    int xdsPort,
    int secureXdsPort,
    int monitoringPort,
    int readinessPort,
    String clusterDomain,
    Duration debounceQuiet,
    Duration debounceMax,
    String trustDomain,
    boolean debugOpen,
    double xdsStreamsPerSecond,
    java.util.List<String> servingNames,
    Duration maxConnectionAge) {

  public ControlPlaneConfig {
    servingNames = servingNames == null ? java.util.List.of() : java.util.List.copyOf(servingNames);
  }

  /** Istio's defaults: {@code istio-system}, ports 15010/15012/15014/8080, 100 ms / 10 s. */
  public static ControlPlaneConfig defaults() {
    return new ControlPlaneConfig(
        "istio-system",
        "default",
        15010,
        15012,
        15014,
        8080,
        "cluster.local",
        Duration.ofMillis(100),
        Duration.ofSeconds(10),
        "cluster.local",
        false,
        defaultStreamsPerSecond(Runtime.getRuntime().availableProcessors()),
        java.util.List.of(),
        Duration.ofMinutes(30));
  }

  /**
   * istiod's default rate of new xDS streams: {@code min(15 + 5 × processors, 100)} per second,
   * overridden by {@code PILOT_MAX_REQUESTS_PER_SECOND} when set.
   */
  static double defaultStreamsPerSecond(int processors) {
    String env = System.getenv("PILOT_MAX_REQUESTS_PER_SECOND");
    if (env != null && !env.isBlank()) {
      try {
        return Double.parseDouble(env.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "PILOT_MAX_REQUESTS_PER_SECOND: expected a number, got '" + env + "'", e);
      }
    }
    return Math.min(15 + 5 * processors, 100);
  }

  /** Same settings with {@code /debug/*} open to every caller, or not. */
  public ControlPlaneConfig withDebugOpen(boolean open) {
    return with(c -> c.debugOpen = open);
  }

  /** Same settings with another limit of new xDS streams per second (0: none). */
  public ControlPlaneConfig withXdsStreamsPerSecond(double rate) {
    return with(c -> c.xdsStreamsPerSecond = rate);
  }

  /** Same settings with every port ephemeral. */
  public ControlPlaneConfig withEphemeralPorts() {
    return with(
        c -> {
          c.xdsPort = 0;
          c.secureXdsPort = 0;
          c.monitoringPort = 0;
          c.readinessPort = 0;
        });
  }

  /** Same settings with another plaintext xDS port (0: ephemeral). */
  public ControlPlaneConfig withXdsPort(int port) {
    return with(c -> c.xdsPort = port);
  }

  /** Same settings with another xDS and CA port over TLS (0: ephemeral). */
  public ControlPlaneConfig withSecureXdsPort(int port) {
    return with(c -> c.secureXdsPort = port);
  }

  /** Same settings with another readiness port ({@code /ready}; 0: ephemeral). */
  public ControlPlaneConfig withReadinessPort(int port) {
    return with(c -> c.readinessPort = port);
  }

  /** Same settings with another debounce. */
  public ControlPlaneConfig withDebounce(Duration quiet, Duration max) {
    return with(
        c -> {
          c.debounceQuiet = quiet;
          c.debounceMax = max;
        });
  }

  /** Same settings in another namespace. */
  public ControlPlaneConfig withNamespace(String ns) {
    return with(c -> c.namespace = ns);
  }

  public ControlPlaneConfig withRevision(String rev) {
    return with(c -> c.revision = rev);
  }

  /** Same settings with other extra serving names (DNS names or IP addresses). */
  public ControlPlaneConfig withServingNames(java.util.List<String> names) {
    return with(c -> c.servingNames = names);
  }

  /** Same settings with another monitoring port ({@code /metrics}, {@code /debug/*}). */
  public ControlPlaneConfig withMonitoringPort(int port) {
    return with(c -> c.monitoringPort = port);
  }

  /** Same settings with another Kubernetes cluster domain ({@code svc.<domain>} host names). */
  public ControlPlaneConfig withClusterDomain(String domain) {
    return with(c -> c.clusterDomain = domain);
  }

  /**
   * Same settings with another xDS connection lifetime: connections are closed after it (with a
   * grace period) so that proxies spread over replicas, as istiod's {@code
   * --keepaliveMaxServerConnectionAge}.
   */
  public ControlPlaneConfig withMaxConnectionAge(Duration age) {
    return with(c -> c.maxConnectionAge = age);
  }

  /** A copy with some fields changed. */
  private ControlPlaneConfig with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /** The fields of a copy being made. */
  private static final class Copy {
    String namespace;
    String revision;
    int xdsPort;
    int secureXdsPort;
    int monitoringPort;
    int readinessPort;
    String clusterDomain;
    Duration debounceQuiet;
    Duration debounceMax;
    String trustDomain;
    boolean debugOpen;
    double xdsStreamsPerSecond;
    java.util.List<String> servingNames;
    Duration maxConnectionAge;

    Copy(ControlPlaneConfig from) {
      this.namespace = from.namespace;
      this.revision = from.revision;
      this.xdsPort = from.xdsPort;
      this.secureXdsPort = from.secureXdsPort;
      this.monitoringPort = from.monitoringPort;
      this.readinessPort = from.readinessPort;
      this.clusterDomain = from.clusterDomain;
      this.debounceQuiet = from.debounceQuiet;
      this.debounceMax = from.debounceMax;
      this.trustDomain = from.trustDomain;
      this.debugOpen = from.debugOpen;
      this.xdsStreamsPerSecond = from.xdsStreamsPerSecond;
      this.servingNames = from.servingNames;
      this.maxConnectionAge = from.maxConnectionAge;
    }

    ControlPlaneConfig build() {
      return new ControlPlaneConfig(
          namespace,
          revision,
          xdsPort,
          secureXdsPort,
          monitoringPort,
          readinessPort,
          clusterDomain,
          debounceQuiet,
          debounceMax,
          trustDomain,
          debugOpen,
          xdsStreamsPerSecond,
          servingNames,
          maxConnectionAge);
    }
  }
}
