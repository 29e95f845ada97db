package dev.isthmus.controlplane.webhooks;

import dev.isthmus.controlplane.server.VertxHttp;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.KeyCertOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@code WebhookServer} serves {@code /inject} (and {@code /inject/...}, tolerating Istio's path
 * parameters such as {@code /inject/cluster/c1/net/n1}) and {@code /validate} over HTTPS on Vert.x.
 * The serving certificate is looked up from a {@link ServingTls} on every handshake.
 *
 * <p>Request bodies are read by the event loop, without holding a thread, and the admission logic
 * runs on a worker pool once a body is complete, so clients that send slowly delay nobody (the
 * webhook's {@code failurePolicy: Fail} makes a stalled server stall pod creation). A request whose
 * body is not complete within {@value #BODY_SECONDS} seconds, the API server's webhook timeout, is
 * answered 408 and its connection closed; an idle connection is closed after {@value #IDLE_SECONDS}
 * seconds; a body over 16 MiB is refused with 413.
 */
public final class WebhookServer implements AutoCloseable {
  static final int MAX_BODY = 16 * 1024 * 1024;
  static final int BODY_SECONDS = 10;
  static final int IDLE_SECONDS = 60;

  private final Vertx vertx;
  private final HttpServer server;

  /**
   * Binds and starts the server.
   *
   * @param address where to listen; port 0 picks a free port
   * @param tls the serving certificate source
   * @param handler the admission logic
   * @throws IOException when the port cannot be bound
   */
  public WebhookServer(InetSocketAddress address, ServingTls tls, AdmissionHandler handler)
      throws IOException {
    vertx = VertxHttp.vertx(2, 8);
    server =
        vertx.createHttpServer(
            VertxHttp.options(IDLE_SECONDS)
                .setSsl(true)
                .setKeyCertOptions(KeyCertOptions.wrap(new RotatingKeyManager(tls))));
    server.requestHandler(
        req -> {
          if (matches(req.path(), "/inject")) {
            serve(req, handler::inject);
          } else if (matches(req.path(), "/validate")) {
            serve(req, handler::validate);
          } else {
            req.response().setStatusCode(404).end("no handler for " + req.path());
          }
        });
    VertxHttp.listen(vertx, server, address);
  }

  /** The bound port. */
  public int port() {
    return server.actualPort();
  }

  private static boolean matches(String path, String base) {
    return path.equals(base) || path.startsWith(base + "/");
  }

  private void serve(HttpServerRequest req, Function<byte[], byte[]> handler) {
    if (!req.method().name().equals("POST")) {
      req.response().setStatusCode(405).end("only POST is supported");
      return;
    }
    String length = req.getHeader("Content-Length");
    if (length != null
        && length.chars().allMatch(Character::isDigit)
        && length.length() < 12
        && Long.parseLong(length) > MAX_BODY) {
      refuse(req, 413, "request body too large");
      return;
    }
    Buffer body = Buffer.buffer();
    long timer =
        vertx.setTimer(
            TimeUnit.SECONDS.toMillis(BODY_SECONDS),
            t -> refuse(req, 408, "request body not received within " + BODY_SECONDS + " s"));
    req.handler(
        chunk -> {
          if (req.response().ended()) {
            return;
          }
          body.appendBuffer(chunk);
          if (body.length() > MAX_BODY) {
            vertx.cancelTimer(timer);
            refuse(req, 413, "request body too large");
          }
        });
    req.exceptionHandler(e -> vertx.cancelTimer(timer));
    req.endHandler(
        v -> {
          vertx.cancelTimer(timer);
          if (req.response().ended()) {
            return;
          }
          byte[] bytes = body.getBytes();
          vertx
              .executeBlocking(() -> handler.apply(bytes), false)
              .onComplete(
                  ar -> {
                    if (req.response().ended() || req.response().closed()) {
                      return;
                    }
                    if (ar.succeeded()) {
                      req.response()
                          .putHeader("Content-Type", "application/json")
                          .end(Buffer.buffer(ar.result()));
                    } else {
                      req.response()
                          .setStatusCode(500)
                          .putHeader("Content-Type", "text/plain")
                          .end("admission failed: " + ar.cause().getMessage());
                    }
                  });
        });
  }

  /** Answers with an error and closes the connection: the rest of its body is not wanted. */
  private static void refuse(HttpServerRequest req, int status, String message) {
    if (req.response().ended() || req.response().closed()) {
      return;
    }
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "text/plain")
        .putHeader("Connection", "close")
        .end(message)
        .onComplete(ar -> req.connection().close());
  }

  @Override
  public void close() {
    VertxHttp.close(vertx);
  }

  /** Delegates each call to the key manager {@link ServingTls} currently returns. */
  private static final class RotatingKeyManager extends X509ExtendedKeyManager {
    private final ServingTls tls;

    RotatingKeyManager(ServingTls tls) {
      this.tls = tls;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return tls.keyManager().getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return tls.keyManager().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      var km = tls.keyManager();
      if (km instanceof X509ExtendedKeyManager x) {
        return x.chooseEngineServerAlias(keyType, issuers, engine);
      }
      return km.chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return tls.keyManager().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return tls.keyManager().getPrivateKey(alias);
    }
  }
}
