package dev.isthmus.controlplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What {@link IstioPrometheusRegistry} changes in Micrometer's scrape, and the library behaviour
 * that makes each change necessary (if a Micrometer upgrade changes that behaviour, the first
 * assertions of a test fail and the workaround can go).
 */
class IstioPrometheusRegistryTest {
  private final IstioPrometheusRegistry prometheus = new IstioPrometheusRegistry();

  @Test
  void countersArePublishedWithoutTotal() {
    Counter.builder("pilot_xds_pushes")
        .description("Pushes.")
        .tag("type", "cds")
        .register(prometheus.registry())
        .increment();

    String raw = ((PrometheusMeterRegistry) prometheus.registry()).scrape();
    assertThat(raw.lines())
        .as("the Prometheus client's text writer appends _total to counter families")
        .contains(
            "# TYPE pilot_xds_pushes_total counter", "pilot_xds_pushes_total{type=\"cds\"} 1.0");

    assertThat(prometheus.scrape().lines())
        .containsExactly(
            "# HELP pilot_xds_pushes Pushes.",
            "# TYPE pilot_xds_pushes counter",
            "pilot_xds_pushes{type=\"cds\"} 1.0");
  }

  @Test
  void timersKeepTheirNameAndHaveNoMaxGauge() {
    Timer.builder("pilot_xds_push_time")
        .description("Push time.")
        .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(100))
        .register(prometheus.registry())
        .record(Duration.ofMillis(50));

    String raw = ((PrometheusMeterRegistry) prometheus.registry()).scrape();
    assertThat(raw.lines())
        .as("Micrometer adds a _max gauge next to each timer's histogram")
        .contains("# TYPE pilot_xds_push_time_max gauge");

    assertThat(prometheus.scrape().lines())
        .containsExactly(
            "# HELP pilot_xds_push_time Push time.",
            "# TYPE pilot_xds_push_time histogram",
            "pilot_xds_push_time_bucket{le=\"0.01\"} 0",
            "pilot_xds_push_time_bucket{le=\"0.1\"} 1",
            "pilot_xds_push_time_bucket{le=\"+Inf\"} 1",
            "pilot_xds_push_time_count 1",
            "pilot_xds_push_time_sum 0.05");
  }

  @Test
  void labelValuesThatLookLikeNamesAreLeftAlone() {
    Counter.builder("pilot_total_rejected_configs")
        .description("Rejected.")
        .tag("kind", "x_total{a=\"b\"} 1\n# TYPE y_total counter")
        .register(prometheus.registry())
        .increment();

    assertThat(prometheus.scrape().lines())
        .containsExactly(
            "# HELP pilot_total_rejected_configs Rejected.",
            "# TYPE pilot_total_rejected_configs counter",
            "pilot_total_rejected_configs{kind=\"x_total{a=\\\"b\\\"} 1\\n# TYPE y_total counter\"}"
                + " 1.0");
  }
}
