package dev.isthmus.controlplane.authn;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A key server on loopback: {@code /certs} serves the current key set (or an error status), and
 * {@code /.well-known/openid-configuration} points at it, as an OpenID provider whose issuer is
 * {@link #url()} would; {@code /moved} redirects to {@code /certs}.
 */
final class JwksServer implements AutoCloseable {
  // Public halves of two RSA keys made for these tests; nothing verifies tokens against them here.
  static final String KEYS_A =
      "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"e\":\"AQAB\",\"n\":\""
          + "ohO6KsRQAD64wL2MvcIUhfcT6c_IbxKYJkcvD8NB_ZsWFmKMaUMAKjTyPhMrQwS8qcLBDgAEYWchyCF7"
          + "eRhd1QT3gD0_wKwvv_GsuvVu-Ru_oOzRtluYQDwrFDIOXW-iuxWxnWHCPwxPqr3dGmwogdpEo5PwrKvZ"
          + "G3FPpXUwqS6T7WA2p9SfoJfbOG07N_vEfcX3agLWwAjr0anMACu6gkSIh-UD2lVBGSWeahKI1OeC7fml"
          + "7w4llcKgfjgCctzM5jhNu6FqY7Oqd7kmNYvdrTJY5E_NRIrQgmm4n-jwosUQpI3jrgQswM-xlxMQuLpv"
          + "3YOUTjMgK1FOeK9rWPFx8Q"
          + "\"}]}";
  static final String KEYS_B =
      "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"b\",\"e\":\"AQAB\",\"n\":\""
          + "sukHlPHrWW8bCGqaFNl1yvvYQMmqe0B8SG5z5wZvSFUr9GJ1cN1wEoZaF-NYAUKo-LTqjGp70M6LMUWi"
          + "Okg2bFZxvjujNPXzSni4SDXzy1Y293F2OrdN1IUnzi6JM7bKZwAMHqUQOiTbtJTlFAkG1pz3pGUX3Nrh"
          + "8H4N-Qk-VA1jiUit_SO723Qr2sYjxGmjrpLnGMgz9WaBqsX_YEYm9yXW9ngUAhX8Q0ccHxXfkXoEYh_G"
          + "Bc_mLZ62zekBbZL2aRGAU2MVqHp0E6rsBKR8WSdwZB8OSlW0l3aD6McMethJYK6Dd_nXTTFIEfhctgZV"
          + "500ZhVzJ7yq84Gt3M0_ebw"
          + "\"}]}";

  private final HttpServer server;
  private final AtomicReference<String> keys = new AtomicReference<>(KEYS_A);
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicInteger certRequests = new AtomicInteger();

  JwksServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/certs",
        exchange -> {
          certRequests.incrementAndGet();
          respond(exchange, status.get(), status.get() == 200 ? keys.get() : "unavailable");
        });
    server.createContext(
        "/moved",
        exchange -> {
          exchange.getResponseHeaders().set("Location", certsUrl());
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
        });
    server.createContext(
        "/.well-known/openid-configuration",
        exchange ->
            respond(
                exchange,
                200,
                "{\"issuer\":\"" + url() + "\",\"jwks_uri\":\"" + url() + "/certs\"}"));
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  String certsUrl() {
    return url() + "/certs";
  }

  void serve(String keySet) {
    keys.set(keySet);
    status.set(200);
  }

  void fail(int statusCode) {
    status.set(statusCode);
  }

  int certRequests() {
    return certRequests.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int code, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
