package dev.isthmus.controlplane.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.server.HttpEndpoints;
import dev.isthmus.controlplane.webhooks.inject.InjectionConfig;
import dev.isthmus.controlplane.webhooks.inject.InjectorFixtures;
import dev.isthmus.controlplane.webhooks.inject.SidecarInjector;
import dev.isthmus.controlplane.webhooks.validation.IstioConfigValidator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Slow clients against the admission webhook (whose {@code failurePolicy: Fail} turns a stalled
 * server into stalled pod creation) and against the readiness endpoint (whose stall fails istiod's
 * probe): a hundred connections that send part of a request and then nothing must not delay an
 * admission review or a probe by more than a second.
 */
@Tag("hostile")
class HostileSlowClientsTest {
  static final int SLOW = 100;
  static final String REVIEW =
      "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
          + "\"uid\":\"u1\",\"kind\":{\"group\":\"networking.istio.io\",\"version\":\"v1\","
          + "\"kind\":\"VirtualService\"},\"operation\":\"CREATE\",\"object\":{\"apiVersion\":"
          + "\"networking.istio.io/v1\",\"kind\":\"VirtualService\",\"metadata\":{\"name\":\"r\","
          + "\"namespace\":\"default\"},\"spec\":{\"hosts\":[\"r\"],\"http\":[{\"route\":[{"
          + "\"destination\":{\"host\":\"r\"}}]}]}}}}";

  private final List<Socket> slow = new ArrayList<>();

  @AfterEach
  void closeSlowClients() {
    for (Socket s : slow) {
      try {
        s.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }

  @Test
  void slowBodiesDoNotDelayAnAdmissionReview() throws Exception {
    TestCertificates certs = TestCertificates.selfSigned();
    AdmissionHandler handler =
        new AdmissionHandler(
            new SidecarInjector(
                () ->
                    InjectionConfig.parse(
                        Map.of(
                            "values", "{}", "config", InjectorFixtures.config("enabled", Map.of())),
                        null),
                "istio-system",
                ns -> Map.of()),
            new IstioConfigValidator());
    try (WebhookServer server =
        new WebhookServer(new InetSocketAddress("127.0.0.1", 0), certs.servingTls(), handler)) {
      HttpClient http =
          HttpClient.newBuilder()
              .sslContext(certs.trusting())
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      URI validate = URI.create("https://127.0.0.1:" + server.port() + "/validate");
      long before = review(http, validate);
      var tls = certs.trusting().getSocketFactory();
      for (int i = 0; i < SLOW; i++) {
        SSLSocket s = (SSLSocket) tls.createSocket("127.0.0.1", server.port());
        slow.add(s);
        s.setSoTimeout(5000); // a server that cannot take the handshake fails the test
        s.startHandshake();
        OutputStream out = s.getOutputStream();
        out.write(
            ("POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{\"apiVersion\":")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      long during = review(http, validate);
      assertThat(during)
          .as("an admission review behind %d slow clients (%d ms alone)", SLOW, before)
          .isLessThan(before + 1000);
    }
  }

  @Test
  void slowHeadersDoNotDelayTheReadinessProbe() throws Exception {
    try (HttpEndpoints endpoints =
        new HttpEndpoints(
            new InetSocketAddress("127.0.0.1", 0),
            Map.of("/ready", HttpEndpoints.ready(() -> true)))) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      URI ready = URI.create("http://127.0.0.1:" + endpoints.port() + "/ready");
      long before = get(http, ready);
      for (int i = 0; i < SLOW; i++) {
        Socket s = new Socket("127.0.0.1", endpoints.port());
        slow.add(s);
        s.getOutputStream()
            .write("GET /ready HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
      }
      long during = get(http, ready);
      assertThat(during)
          .as("a probe behind %d slow clients (%d ms alone)", SLOW, before)
          .isLessThan(before + 1000);
    }
  }

  /** Milliseconds an admission review takes; fails when it is not answered within 10 s. */
  private static long review(HttpClient http, URI uri) throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(REVIEW))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"allowed\":true");
    return ms;
  }

  private static long get(HttpClient http, URI uri) throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.statusCode()).isEqualTo(200);
    return ms;
  }
}
