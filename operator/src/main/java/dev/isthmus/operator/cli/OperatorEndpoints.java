package dev.isthmus.operator.cli;

import dev.isthmus.controlplane.server.HttpEndpoints;
import dev.isthmus.controlplane.server.HttpEndpoints.Body;
import dev.isthmus.controlplane.server.HttpEndpoints.Route;
import dev.isthmus.operator.IsthmusOperator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The operator's HTTP endpoints on one port (8383 by default): {@code /q/health/live}, {@code
 * /q/health/ready} and {@code /q/health} for the kubelet's probes, and {@code /q/metrics} in
 * Prometheus text format.
 */
final class OperatorEndpoints implements AutoCloseable {
  private final HttpEndpoints server;

  OperatorEndpoints(int port, Supplier<IsthmusOperator> operator, PrometheusMeterRegistry registry)
      throws IOException {
    server =
        new HttpEndpoints(
            port,
            Map.of(
                "/q/health/ready",
                Route.open(() -> health(ready(operator))),
                "/q/health/live",
                Route.open(() -> health(live(operator))),
                "/q/health",
                Route.open(() -> health(ready(operator) && live(operator))),
                "/q/metrics",
                Route.open(
                    () ->
                        new Body("text/plain; version=0.0.4; charset=utf-8", registry.scrape()))));
  }

  int port() {
    return server.port();
  }

  private static boolean ready(Supplier<IsthmusOperator> operator) {
    IsthmusOperator op = operator.get();
    return op != null && op.healthy();
  }

  private static boolean live(Supplier<IsthmusOperator> operator) {
    IsthmusOperator op = operator.get();
    return op == null || op.healthy();
  }

  private static Body health(boolean up) {
    return new Body(
        "application/json", "{\"status\":\"" + (up ? "UP" : "DOWN") + "\"}", up ? 200 : 503);
  }

  @Override
  public void close() {
    server.close();
  }
}
