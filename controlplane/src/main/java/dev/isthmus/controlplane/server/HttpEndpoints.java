package dev.isthmus.controlplane.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code HttpEndpoints} serves plain HTTP endpoints on Vert.x: each path maps to a {@link Route}, a
 * supplier of a body with its content type and who may read it.
 *
 * <p>Requests are read by an event loop and answered from a small worker pool, so connections that
 * trickle their bytes hold no thread: a hundred slow clients do not delay {@code /ready}. A
 * connection idle for {@value #IDLE_SECONDS} seconds is closed.
 */
public final class HttpEndpoints implements AutoCloseable {
  static final int IDLE_SECONDS = 30;

  /**
   * A response: status, content type and body.
   *
   * @param status the HTTP status
   */
  public record Body(String contentType, String text, int status) {
    /** A 200 response. */
    public Body(String contentType, String text) {
      this(contentType, text, 200);
    }
  }

  /**
   * Decides whether a caller may read a route.
   *
   * <p>Called on a worker thread: it may ask the API server.
   */
  @FunctionalInterface
  public interface Guard {
    /**
     * @param remote the caller's address
     * @param authorization the {@code Authorization} header, or null
     * @return null to serve the route, or the refusal
     */
    Refusal check(InetAddress remote, String authorization);

    /** Anyone may read. */
    Guard OPEN = (remote, authorization) -> null;
  }

  /** An HTTP status and the message a refused caller gets. */
  public record Refusal(int status, String message) {}

  /** A path's body and who may read it. */
  public record Route(Supplier<Body> body, Guard guard) {
    /** A route anyone may read. */
    public static Route open(Supplier<Body> body) {
      return new Route(body, Guard.OPEN);
    }
  }

  private final Vertx vertx;
  private final HttpServer server;

  /**
   * @param port port to bind (0 for ephemeral), on all addresses
   * @param routes path to route
   * @throws IOException when the port cannot be bound
   */
  public HttpEndpoints(int port, Map<String, Route> routes) throws IOException {
    this(new InetSocketAddress(port), routes);
  }

  /**
   * @param address address and port to bind (port 0 for ephemeral)
   * @param routes path to route
   * @throws IOException when the address cannot be bound
   */
  public HttpEndpoints(InetSocketAddress address, Map<String, Route> routes) throws IOException {
    vertx = VertxHttp.vertx(1, 4);
    server = vertx.createHttpServer(VertxHttp.options(IDLE_SECONDS));
    server.requestHandler(req -> serve(req, routes.get(req.path())));
    VertxHttp.listen(vertx, server, address);
  }

  /** A {@code /ready} route answering 200 when ready, 503 otherwise. */
  public static Route ready(BooleanSupplier ready) {
    return Route.open(() -> ready.getAsBoolean() ? new Body("text/plain", "ready\n") : null);
  }

  private void serve(HttpServerRequest req, Route route) {
    if (route == null) {
      req.response().setStatusCode(404).end("no handler for " + req.path() + "\n");
      return;
    }
    if (!req.method().name().equals("GET") && !req.method().name().equals("HEAD")) {
      req.response().setStatusCode(405).end("only GET is supported\n");
      return;
    }
    String authorization = req.getHeader("Authorization");
    InetAddress remote = address(req);
    vertx
        .<Answer>executeBlocking(() -> answer(route, remote, authorization), false)
        .onComplete(
            ar -> {
              Answer a =
                  ar.succeeded()
                      ? ar.result()
                      : new Answer(500, "text/plain", "error: " + ar.cause().getMessage() + "\n");
              req.response()
                  .setStatusCode(a.status())
                  .putHeader("Content-Type", a.contentType())
                  .end(a.text());
            });
  }

  private record Answer(int status, String contentType, String text) {}

  private static Answer answer(Route route, InetAddress remote, String authorization) {
    Refusal refused = route.guard().check(remote, authorization);
    if (refused != null) {
      return new Answer(refused.status(), "text/plain", refused.message() + "\n");
    }
    Body b = route.body().get();
    if (b == null) {
      return new Answer(503, "text/plain", "not ready\n");
    }
    return new Answer(b.status(), b.contentType(), b.text());
  }

  private static InetAddress address(HttpServerRequest req) {
    try {
      return InetAddress.getByName(req.remoteAddress().hostAddress());
    } catch (UnknownHostException e) {
      throw new IllegalStateException("unparseable peer address " + req.remoteAddress(), e);
    }
  }

  /** The bound port. */
  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    VertxHttp.close(vertx);
  }
}
