package dev.isthmus.controlplane.server;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code IstioPrometheusRegistry} is the control plane's one Micrometer registry (a {@link
 * PrometheusMeterRegistry}) and its scrape under the names istiod publishes.
 *
 * <p>Micrometer's Prometheus output differs from istiod's in three ways, all undone here and
 * nowhere else:
 *
 * <ul>
 *   <li>The naming convention appends {@code _seconds} to a Timer's name; the convention set here
 *       keeps the name as registered ({@code pilot_xds_push_time}, observations still in seconds).
 *   <li>The Prometheus client's text writer appends {@code _total} to every counter family ({@code
 *       # TYPE pilot_xds_pushes_total counter}, {@code pilot_xds_pushes_total{type="cds"} 1.0}) and
 *       no naming convention reaches it; istiod's counters have no suffix ({@code
 *       pilot_xds_pushes}, {@code citadel_server_csr_count}), so {@link #scrape()} removes it from
 *       the HELP, TYPE and sample lines of counter families. A counter registered as {@code
 *       x_total} is therefore published as {@code x}.
 *   <li>Micrometer adds a {@code <name>_max} gauge next to each Timer's histogram; istiod has none,
 *       so {@link #scrape()} leaves it out.
 * </ul>
 */
public final class IstioPrometheusRegistry {
  /** Content type of {@link #scrape()}: the Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final String TOTAL = "_total";
  private static final String MAX = "_max";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public IstioPrometheusRegistry() {
    registry.config().namingConvention(new IstioNaming());
  }

  /** Where the control plane's meters are registered. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Every meter in the Prometheus text format, under Istio's names. */
  public String scrape() {
    return istioNames(registry.scrape());
  }

  /**
   * {@code exposition} (text format 0.0.4 as the Prometheus client writes it) without {@code
   * _total} on counter families and without the {@code _max} gauges of histograms.
   */
  static String istioNames(String exposition) {
    List<String> lines = exposition.lines().toList();
    Map<String, String> types = new HashMap<>();
    for (String line : lines) {
      if (line.startsWith("# TYPE ")) {
        String[] fields = line.split(" ");
        types.put(fields[2], fields[3]);
      }
    }
    StringBuilder out = new StringBuilder(exposition.length());
    for (String line : lines) {
      String name = metricName(line);
      String type = types.get(name);
      if (name.endsWith(MAX)
          && "gauge".equals(type)
          && "histogram".equals(types.get(strip(name, MAX)))) {
        continue;
      }
      if ("counter".equals(type) && name.endsWith(TOTAL)) {
        int at = line.startsWith("#") ? "# TYPE ".length() : 0;
        line = line.substring(0, at) + strip(name, TOTAL) + line.substring(at + name.length());
      }
      out.append(line).append('\n');
    }
    return out.toString();
  }

  /** The metric name a HELP, TYPE or sample line is about; empty for other lines. */
  private static String metricName(String line) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
      int from = "# TYPE ".length();
      int end = line.indexOf(' ', from);
      return line.substring(from, end < 0 ? line.length() : end);
    }
    if (line.isEmpty() || line.startsWith("#")) {
      return "";
    }
    int end = 0;
    while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
      end++;
    }
    return line.substring(0, end);
  }

  private static String strip(String name, String suffix) {
    return name.substring(0, name.length() - suffix.length());
  }

  /** Micrometer's Prometheus names, except that a timer gets no {@code _seconds}. */
  private static final class IstioNaming implements NamingConvention {
    private final NamingConvention prometheus = new PrometheusNamingConvention();

    @Override
    public String name(String name, Meter.Type type, String baseUnit) {
      boolean timer = type == Meter.Type.TIMER || type == Meter.Type.LONG_TASK_TIMER;
      return timer
          ? prometheus.name(name, Meter.Type.OTHER, null)
          : prometheus.name(name, type, baseUnit);
    }

    @Override
    public String tagKey(String key) {
      return prometheus.tagKey(key);
    }
  }
}
