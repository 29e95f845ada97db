package dev.isthmus.controlplane.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code HttpEndpoints} serves plain HTTP endpoints with the JDK's HTTP server: each path maps to a
 * supplier of a body and its content type.
 */
public final class HttpEndpoints implements AutoCloseable {
  /** A response body with its content type. */
  public record Body(String contentType, String text) {}

  private final HttpServer server;

  /**
   * @param port port to bind (0 for ephemeral)
   * @param routes path to body
   */
  public HttpEndpoints(int port, Map<String, Supplier<Body>> routes) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    routes.forEach((path, body) -> server.createContext(path, ex -> serve(ex, body)));
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "isthmus-http-" + port);
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  /** A {@code /ready} route answering 200 when ready, 503 otherwise. */
  public static Supplier<Body> ready(BooleanSupplier ready) {
    return () -> ready.getAsBoolean() ? new Body("text/plain", "ready\n") : null;
  }

  private static void serve(HttpExchange ex, Supplier<Body> body) throws IOException {
    try (ex) {
      Body b;
      try {
        b = body.get();
      } catch (RuntimeException e) {
        byte[] msg = ("error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(500, msg.length);
        ex.getResponseBody().write(msg);
        return;
      }
      if (b == null) {
        byte[] msg = "not ready\n".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(503, msg.length);
        ex.getResponseBody().write(msg);
        return;
      }
      byte[] bytes = b.text().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", b.contentType());
      ex.sendResponseHeaders(200, bytes.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(bytes);
      }
    }
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
