package dev.isthmus.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.isthmus.operator.IsthmusOperator;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The operator's HTTP endpoints on one port (8383 by default): {@code /q/health/live}, {@code
 * /q/health/ready} and {@code /q/health} for the kubelet's probes, and {@code /q/metrics} in
 * Prometheus text format.
 */
final class OperatorEndpoints implements AutoCloseable {
  private final HttpServer server;

  OperatorEndpoints(int port, Supplier<IsthmusOperator> operator, PrometheusMeterRegistry registry)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/q/health/ready", ex -> health(ex, ready(operator)));
    server.createContext("/q/health/live", ex -> health(ex, live(operator)));
    server.createContext("/q/health", ex -> health(ex, ready(operator) && live(operator)));
    server.createContext(
        "/q/metrics",
        ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private static boolean ready(Supplier<IsthmusOperator> operator) {
    IsthmusOperator op = operator.get();
    return op != null && op.healthy();
  }

  private static boolean live(Supplier<IsthmusOperator> operator) {
    IsthmusOperator op = operator.get();
    return op == null || op.healthy();
  }

  private static void health(HttpExchange ex, boolean up) throws IOException {
    send(ex, up ? 200 : 503, "application/json", "{\"status\":\"" + (up ? "UP" : "DOWN") + "\"}");
  }

  private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
