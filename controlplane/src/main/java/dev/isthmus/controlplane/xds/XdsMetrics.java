package dev.isthmus.controlplane.xds;

import io.envoyproxy.controlplane.cache.Resources;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code XdsMetrics} keeps Pilot's counters, gauge and histograms as Micrometer meters under
 * Istio's metric names and labels ({@code pilot_xds}, {@code pilot_xds_pushes}, {@code
 * pilot_total_xds_rejects}, {@code pilot_total_rejected_configs}, {@code pilot_push_triggers},
 * {@code pilot_proxy_convergence_time}, {@code pilot_xds_push_time}); the registry's owner renders
 * them (see {@link dev.isthmus.controlplane.server.IstioPrometheusRegistry}).
 */
public final class XdsMetrics {
  /** istiod's histogram buckets for push and convergence times, in seconds. */
  private static final Duration[] BUCKETS = {
    Duration.ofMillis(10),
    Duration.ofMillis(100),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(3),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(20),
    Duration.ofSeconds(30)
  };

  private static final Map<String, String> TYPE_LABELS =
      Map.ofEntries(
          Map.entry(Resources.V3.CLUSTER_TYPE_URL, "cds"),
          Map.entry(Resources.V3.ENDPOINT_TYPE_URL, "eds"),
          Map.entry(Resources.V3.LISTENER_TYPE_URL, "lds"),
          Map.entry(Resources.V3.ROUTE_TYPE_URL, "rds"),
          Map.entry(Resources.V3.SECRET_TYPE_URL, "sds"),
          Map.entry("type.googleapis.com/istio.networking.nds.v1.NameTable", "nds"),
          Map.entry("type.googleapis.com/istio.mesh.v1alpha1.ProxyConfig", "pcds"),
          Map.entry("type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig", "ecds"),
          Map.entry("type.googleapis.com/istio.workload.Address", "wads"),
          Map.entry("type.googleapis.com/istio.security.Authorization", "wdsauthz"));

  /**
   * Type label Istio uses for a type URL (cds, eds, lds, rds, sds, nds, pcds, ecds, wads,
   * wdsauthz), or {@code other}: a label value never comes from what a client sent, so the set of
   * series stays closed and nothing a client writes reaches the exposition.
   */
  public static String typeLabel(String typeUrl) {
    return TYPE_LABELS.getOrDefault(typeUrl, "other");
  }

  private final MeterRegistry registry;
  // The type label set is closed, so every series exists from the start (at 0).
  private final Map<String, Counter> pushes;
  private final Map<String, Counter> rejects;
  private final Map<String, Counter> rejectedConfigs = new ConcurrentHashMap<>();
  private final Counter fullPushes;
  private final Counter edsOnlyPushes;
  private final Timer convergence;
  private final Timer pushTime;
  private volatile LongSupplier connected = () -> 0;

  /** Registers Pilot's meters in {@code registry}. */
  public XdsMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.pushes = perType("pilot_xds_pushes", "Pushes sent to proxies, by xDS type.");
    this.rejects =
        perType(
            "pilot_total_xds_rejects",
            "Total number of XDS responses from pilot rejected by proxy.");
    this.fullPushes = pushTrigger("full");
    this.edsOnlyPushes = pushTrigger("endpoint");
    Gauge.builder("pilot_xds", () -> connected.getAsLong())
        .description("Number of endpoints connected to this pilot using XDS.")
        .register(registry);
    this.convergence =
        histogram(
            "pilot_proxy_convergence_time",
            "Delay in seconds between config change and a proxy receiving all required"
                + " configuration.");
    this.pushTime =
        histogram(
            "pilot_xds_push_time",
            "Total time in seconds Pilot takes to push lds, rds, cds and eds.");
  }

  private Map<String, Counter> perType(String name, String help) {
    return Stream.concat(TYPE_LABELS.values().stream(), Stream.of("other"))
        .collect(
            Collectors.toUnmodifiableMap(
                Function.identity(),
                label ->
                    Counter.builder(name).description(help).tag("type", label).register(registry)));
  }

  private Counter pushTrigger(String type) {
    return Counter.builder("pilot_push_triggers")
        .description("Total number of times a push was triggered.")
        .tag("type", type)
        .register(registry);
  }

  // A Timer rather than a DistributionSummary: a summary's fixed-bucket histogram rounds each
  // observation up to a whole number, so 0.05 s would be counted under le="1.0". The Timer keeps
  // nanoseconds and is published in seconds, without _seconds (IstioPrometheusRegistry).
  private Timer histogram(String name, String help) {
    return Timer.builder(name).description(help).serviceLevelObjectives(BUCKETS).register(registry);
  }

  void connectedProxies(LongSupplier s) {
    this.connected = s;
  }

  /** One response of a type sent to one proxy. */
  public void pushed(String typeUrl) {
    pushes.get(typeLabel(typeUrl)).increment();
  }

  /** One NACK received. */
  public void rejected(String typeUrl) {
    rejects.get(typeLabel(typeUrl)).increment();
  }

  /** One configuration object skipped as invalid. */
  public void configRejected(String kind) {
    rejectedConfigs
        .computeIfAbsent(
            kind,
            k ->
                Counter.builder("pilot_total_rejected_configs")
                    .description("Istio configuration objects skipped as invalid.")
                    .tag("kind", k)
                    .register(registry))
        .increment();
  }

  /** A push finished: nanoseconds since the first change it carried, and its own duration. */
  public void pushCompleted(boolean full, long convergenceNanos, long pushNanos) {
    (full ? fullPushes : edsOnlyPushes).increment();
    convergence.record(convergenceNanos, TimeUnit.NANOSECONDS);
    pushTime.record(pushNanos, TimeUnit.NANOSECONDS);
  }

  /** Value of {@code pilot_xds_pushes} for a type label (cds, eds, lds, rds). */
  public long pushes(String typeLabel) {
    return count(pushes.get(typeLabel));
  }

  /** Value of {@code pilot_total_xds_rejects} for a type label. */
  public long rejects(String typeLabel) {
    return count(rejects.get(typeLabel));
  }

  /** Number of skipped objects of a kind. */
  public long rejectedConfigs(String kind) {
    return count(rejectedConfigs.get(kind));
  }

  /** Completed full (all types) pushes. */
  public long fullPushes() {
    return count(fullPushes);
  }

  /** Completed endpoint-only pushes. */
  public long edsOnlyPushes() {
    return count(edsOnlyPushes);
  }

  private static long count(Counter c) {
    return c == null ? 0 : (long) c.count();
  }
}
