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
 * {@link #url()} would.
 */
final class JwksServer implements AutoCloseable {
  static final String KEYS_A =
      "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"e\":\"AQAB\",\"n\":\"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw\"}]}";
  static final String KEYS_B =
      "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"b\",\"e\":\"AQAB\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}]}";

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
