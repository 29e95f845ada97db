package dev.isthmus.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class OperatorEndpointsTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthBeforeTheControllerStartsIsLiveButNotReady() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (OperatorEndpoints endpoints = new OperatorEndpoints(0, () -> null, registry)) {
      assertThat(get(endpoints.port(), "/q/health/live").statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(endpoints.port(), "/q/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("\"DOWN\"");
      assertThat(get(endpoints.port(), "/q/health").statusCode()).isEqualTo(503);
    }
  }

  @Test
  void metricsArePrometheusText() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter.builder("isthmus_objects_applied").register(registry).increment(37);
    try (OperatorEndpoints endpoints = new OperatorEndpoints(0, () -> null, registry)) {
      HttpResponse<String> metrics = get(endpoints.port(), "/q/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      assertThat(metrics.body()).contains("isthmus_objects_applied_total 37.0");
    }
  }
}
