package dev.isthmus.controlplane.webhooks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@code WebhookServer} serves {@code /inject} (and {@code /inject/...}, tolerating Istio's path
 * parameters such as {@code /inject/cluster/c1/net/n1}) and {@code /validate} over HTTPS with the
 * JDK's {@link HttpsServer}. The serving certificate is looked up from a {@link ServingTls} on
 * every handshake.
 */
public final class WebhookServer implements AutoCloseable {
  private static final int MAX_BODY = 16 * 1024 * 1024;

  private final HttpsServer server;
  private final ExecutorService executor;

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
    server = HttpsServer.create(address, 64);
    server.setHttpsConfigurator(new HttpsConfigurator(sslContext(tls)));
    server.createContext("/inject", ex -> serve(ex, "/inject", handler::inject));
    server.createContext("/validate", ex -> serve(ex, "/validate", handler::validate));
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "webhook-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.start();
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void serve(HttpExchange ex, String base, Function<byte[], byte[]> handler)
      throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      if (!path.equals(base) && !path.startsWith(base + "/")) {
        reply(ex, 404, "text/plain", ("no handler for " + path).getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (!ex.getRequestMethod().equals("POST")) {
        reply(ex, 405, "text/plain", "only POST is supported".getBytes(StandardCharsets.UTF_8));
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      if (body.length > MAX_BODY) {
        reply(ex, 413, "text/plain", "request body too large".getBytes(StandardCharsets.UTF_8));
        return;
      }
      reply(ex, 200, "application/json", handler.apply(body));
    }
  }

  private static void reply(HttpExchange ex, int code, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, body.length);
    ex.getResponseBody().write(body);
  }

  private static SSLContext sslContext(ServingTls tls) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new X509ExtendedKeyManager[] {new RotatingKeyManager(tls)}, null, null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the TLS context: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
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
