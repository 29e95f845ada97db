package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import io.envoyproxy.controlplane.cache.Resources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exposition of Pilot's metrics, line by line, under the names and labels istiod publishes:
 * counters without {@code _total}, histograms without {@code _seconds} and without Micrometer's
 * {@code _max} gauge.
 */
class XdsMetricsTest {
  /** Every type label; the set is closed, so each series exists from the start. */
  private static final List<String> TYPES =
      List.of(
          "cds", "ecds", "eds", "lds", "nds", "other", "pcds", "rds", "sds", "wads", "wdsauthz");

  private final IstioPrometheusRegistry prometheus = new IstioPrometheusRegistry();
  private final XdsMetrics metrics = new XdsMetrics(prometheus.registry());

  @Test
  void everyMetricHasIstiodsNameLabelsAndType() {
    metrics.connectedProxies(() -> 3);
    metrics.pushed(Resources.V3.CLUSTER_TYPE_URL);
    metrics.pushed(Resources.V3.CLUSTER_TYPE_URL);
    metrics.pushed(Resources.V3.ENDPOINT_TYPE_URL);
    metrics.rejected(Resources.V3.LISTENER_TYPE_URL);
    metrics.rejected("type.googleapis.com/made.up.Type");
    metrics.configRejected("VirtualService");
    metrics.pushCompleted(true, nanos(Duration.ofMillis(200)), nanos(Duration.ofMillis(50)));
    metrics.pushCompleted(false, nanos(Duration.ofSeconds(2)), nanos(Duration.ofMillis(5)));

    List<String> expected = new ArrayList<>();
    expected.add("# HELP pilot_xds_pushes Pushes sent to proxies, by xDS type.");
    expected.add("# TYPE pilot_xds_pushes counter");
    for (String type : TYPES) {
      String value = type.equals("cds") ? "2.0" : type.equals("eds") ? "1.0" : "0.0";
      expected.add("pilot_xds_pushes{type=\"" + type + "\"} " + value);
    }
    expected.add(
        "# HELP pilot_total_xds_rejects Total number of XDS responses from pilot rejected by"
            + " proxy.");
    expected.add("# TYPE pilot_total_xds_rejects counter");
    for (String type : TYPES) {
      String value = type.equals("lds") || type.equals("other") ? "1.0" : "0.0";
      expected.add("pilot_total_xds_rejects{type=\"" + type + "\"} " + value);
    }
    expected.addAll(
        List.of(
            "# HELP pilot_total_rejected_configs Istio configuration objects skipped as invalid.",
            "# TYPE pilot_total_rejected_configs counter",
            "pilot_total_rejected_configs{kind=\"VirtualService\"} 1.0",
            "# HELP pilot_push_triggers Total number of times a push was triggered.",
            "# TYPE pilot_push_triggers counter",
            "pilot_push_triggers{type=\"endpoint\"} 1.0",
            "pilot_push_triggers{type=\"full\"} 1.0",
            "# HELP pilot_xds Number of endpoints connected to this pilot using XDS.",
            "# TYPE pilot_xds gauge",
            "pilot_xds 3.0",
            "# HELP pilot_proxy_convergence_time Delay in seconds between config change and a proxy"
                + " receiving all required configuration.",
            "# TYPE pilot_proxy_convergence_time histogram",
            "pilot_proxy_convergence_time_bucket{le=\"0.01\"} 0",
            "pilot_proxy_convergence_time_bucket{le=\"0.1\"} 0",
            "pilot_proxy_convergence_time_bucket{le=\"0.5\"} 1",
            "pilot_proxy_convergence_time_bucket{le=\"1.0\"} 1",
            "pilot_proxy_convergence_time_bucket{le=\"3.0\"} 2",
            "pilot_proxy_convergence_time_bucket{le=\"5.0\"} 2",
            "pilot_proxy_convergence_time_bucket{le=\"10.0\"} 2",
            "pilot_proxy_convergence_time_bucket{le=\"20.0\"} 2",
            "pilot_proxy_convergence_time_bucket{le=\"30.0\"} 2",
            "pilot_proxy_convergence_time_bucket{le=\"+Inf\"} 2",
            "pilot_proxy_convergence_time_count 2",
            "pilot_proxy_convergence_time_sum 2.2",
            "# HELP pilot_xds_push_time Total time in seconds Pilot takes to push lds, rds, cds and"
                + " eds.",
            "# TYPE pilot_xds_push_time histogram",
            "pilot_xds_push_time_bucket{le=\"0.01\"} 1",
            "pilot_xds_push_time_bucket{le=\"0.1\"} 2",
            "pilot_xds_push_time_bucket{le=\"0.5\"} 2",
            "pilot_xds_push_time_bucket{le=\"1.0\"} 2",
            "pilot_xds_push_time_bucket{le=\"3.0\"} 2",
            "pilot_xds_push_time_bucket{le=\"5.0\"} 2",
            "pilot_xds_push_time_bucket{le=\"10.0\"} 2",
            "pilot_xds_push_time_bucket{le=\"20.0\"} 2",
            "pilot_xds_push_time_bucket{le=\"30.0\"} 2",
            "pilot_xds_push_time_bucket{le=\"+Inf\"} 2",
            "pilot_xds_push_time_count 2",
            "pilot_xds_push_time_sum 0.055"));

    assertThat(prometheus.scrape().lines()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void accessorsReadTheSameCounters() {
    metrics.pushed(Resources.V3.ROUTE_TYPE_URL);
    metrics.rejected(Resources.V3.ROUTE_TYPE_URL);
    metrics.configRejected("Gateway");
    metrics.pushCompleted(false, 0, 0);
    assertThat(metrics.pushes("rds")).isEqualTo(1);
    assertThat(metrics.rejects("rds")).isEqualTo(1);
    assertThat(metrics.rejectedConfigs("Gateway")).isEqualTo(1);
    assertThat(metrics.rejectedConfigs("Sidecar")).isZero();
    assertThat(metrics.edsOnlyPushes()).isEqualTo(1);
    assertThat(metrics.fullPushes()).isZero();
  }

  private static long nanos(Duration d) {
    return d.toNanos();
  }
}
