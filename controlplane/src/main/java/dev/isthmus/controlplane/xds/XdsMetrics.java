package dev.isthmus.controlplane.xds;

import io.envoyproxy.controlplane.cache.Resources;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.LongSupplier;

/**
 * {@code XdsMetrics} keeps the control plane's counters and histograms under Istio's metric names
 * and renders them in the Prometheus text format.
 */
public final class XdsMetrics {
  private static final double[] BUCKETS = {0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30};

  private final Map<String, AtomicLong> pushes = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> rejects = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> rejectedConfigs = new ConcurrentHashMap<>();
  private final Histogram convergence = new Histogram();
  private final Histogram pushTime = new Histogram();
  private final AtomicLong fullPushes = new AtomicLong();
  private final AtomicLong edsOnlyPushes = new AtomicLong();
  private volatile LongSupplier connected = () -> 0;

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

  void connectedProxies(LongSupplier s) {
    this.connected = s;
  }

  /** One response of a type sent to one proxy. */
  public void pushed(String typeUrl) {
    pushes.computeIfAbsent(typeLabel(typeUrl), k -> new AtomicLong()).incrementAndGet();
  }

  /** One NACK received. */
  public void rejected(String typeUrl) {
    rejects.computeIfAbsent(typeLabel(typeUrl), k -> new AtomicLong()).incrementAndGet();
  }

  /** One configuration object skipped as invalid. */
  public void configRejected(String kind) {
    rejectedConfigs.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
  }

  /** A push finished: seconds since the first change it carried, and its own duration. */
  public void pushCompleted(boolean full, double convergenceSeconds, double pushSeconds) {
    (full ? fullPushes : edsOnlyPushes).incrementAndGet();
    convergence.observe(convergenceSeconds);
    pushTime.observe(pushSeconds);
  }

  /** Value of {@code pilot_xds_pushes} for a type label (cds, eds, lds, rds). */
  public long pushes(String typeLabel) {
    AtomicLong v = pushes.get(typeLabel);
    return v == null ? 0 : v.get();
  }

  /** Value of {@code pilot_total_xds_rejects} for a type label. */
  public long rejects(String typeLabel) {
    AtomicLong v = rejects.get(typeLabel);
    return v == null ? 0 : v.get();
  }

  /** Number of skipped objects of a kind. */
  public long rejectedConfigs(String kind) {
    AtomicLong v = rejectedConfigs.get(kind);
    return v == null ? 0 : v.get();
  }

  /** Completed full (all types) pushes. */
  public long fullPushes() {
    return fullPushes.get();
  }

  /** Completed endpoint-only pushes. */
  public long edsOnlyPushes() {
    return edsOnlyPushes.get();
  }

  /** Prometheus text exposition. */
  public String render() {
    StringBuilder b = new StringBuilder();
    counter(b, "pilot_xds_pushes", "Pushes sent to proxies, by xDS type.", "type", pushes);
    counter(
        b,
        "pilot_total_xds_rejects",
        "Total number of XDS responses from pilot rejected by proxy.",
        "type",
        rejects);
    counter(
        b,
        "pilot_total_rejected_configs",
        "Istio configuration objects skipped as invalid.",
        "kind",
        rejectedConfigs);
    b.append("# HELP pilot_xds Number of endpoints connected to this pilot using XDS.\n")
        .append("# TYPE pilot_xds gauge\n")
        .append("pilot_xds ")
        .append(connected.getAsLong())
        .append('\n');
    b.append("# HELP pilot_push_triggers Total number of times a push was triggered.\n")
        .append("# TYPE pilot_push_triggers counter\n")
        .append("pilot_push_triggers{type=\"full\"} ")
        .append(fullPushes.get())
        .append('\n')
        .append("pilot_push_triggers{type=\"endpoint\"} ")
        .append(edsOnlyPushes.get())
        .append('\n');
    convergence.render(
        b,
        "pilot_proxy_convergence_time",
        "Delay in seconds between config change and a proxy receiving all required configuration.");
    pushTime.render(
        b,
        "pilot_xds_push_time",
        "Total time in seconds Pilot takes to push lds, rds, cds and eds.");
    return b.toString();
  }

  private static void counter(
      StringBuilder b, String name, String help, String label, Map<String, AtomicLong> values) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(" counter\n");
    new TreeMap<>(values)
        .forEach(
            (k, v) ->
                b.append(name)
                    .append('{')
                    .append(label)
                    .append("=\"")
                    .append(escape(k))
                    .append("\"} ")
                    .append(v.get())
                    .append('\n'));
  }

  /** A label value as the Prometheus text format requires it: backslash, quote, newline escaped. */
  static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static final class Histogram {
    private final AtomicLong[] counts = new AtomicLong[BUCKETS.length];
    private final AtomicLong count = new AtomicLong();
    private final DoubleAdder sum = new DoubleAdder();

    Histogram() {
      for (int i = 0; i < counts.length; i++) {
        counts[i] = new AtomicLong();
      }
    }

    void observe(double v) {
      for (int i = 0; i < BUCKETS.length; i++) {
        if (v <= BUCKETS[i]) {
          counts[i].incrementAndGet();
        }
      }
      count.incrementAndGet();
      sum.add(v);
    }

    void render(StringBuilder b, String name, String help) {
      b.append("# HELP ").append(name).append(' ').append(help).append('\n');
      b.append("# TYPE ").append(name).append(" histogram\n");
      for (int i = 0; i < BUCKETS.length; i++) {
        b.append(name)
            .append("_bucket{le=\"")
            .append(BUCKETS[i])
            .append("\"} ")
            .append(counts[i].get())
            .append('\n');
      }
      b.append(name).append("_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
      b.append(name).append("_sum ").append(sum.sum()).append('\n');
      b.append(name).append("_count ").append(count.get()).append('\n');
    }
  }
}
