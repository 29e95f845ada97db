package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.server.DebugAccess;
import dev.isthmus.controlplane.server.HttpEndpoints;
import dev.isthmus.controlplane.server.HttpEndpoints.Body;
import dev.isthmus.controlplane.server.HttpEndpoints.Route;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code /debug/*} lists every proxy's node id and all mesh config: it answers localhost and
 * callers authenticated as the control plane's namespace, nobody else. This machine has only
 * loopback, so the test counts 127.0.0.1 as "localhost" and calls from 127.0.0.2 as a remote caller
 * would (in the product, every loopback address is local).
 */
@WithKubeApiServer
@Tag("hostile")
class HostileDebugIT {
  static final InetAddress REMOTE = address("127.0.0.2");

  @Test
  void debugAnswersLocalhostAndTheControlPlanesNamespaceOnly(KubernetesClient client)
      throws Exception {
    String ns = CaServer.namespace(client, "dbg-cp");
    String other = CaServer.namespace(client, "dbg-app");
    CaServer.serviceAccount(client, ns, "istioctl");
    CaServer.serviceAccount(client, other, "app");
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns))) {
      citadel.start(client);
      DebugAccess access =
          new DebugAccess(
              false, ns, citadel.xdsAuthenticator(), a -> a.getHostAddress().equals("127.0.0.1"));
      DebugAccess open = new DebugAccess(true, ns, citadel.xdsAuthenticator(), a -> false);
      Route adsz = new Route(() -> new Body("application/json", "[\"node-ids\"]"), access);
      try (HttpEndpoints http =
          new HttpEndpoints(
              new InetSocketAddress("127.0.0.1", 0),
              Map.of(
                  "/debug/adsz",
                  adsz,
                  "/open/adsz",
                  new Route(adsz.body(), open),
                  "/metrics",
                  Route.open(() -> new Body("text/plain", "m 1\n"))))) {
        int port = http.port();
        assertThat(get(port, address("127.0.0.1"), "/debug/adsz", null)).startsWith("200");
        assertThat(get(port, REMOTE, "/debug/adsz", null)).startsWith("401");
        assertThat(get(port, REMOTE, "/debug/adsz", "Bearer not-a-token")).startsWith("401");
        String outsider = CaServer.token(client, other, "app", "istio-ca");
        assertThat(get(port, REMOTE, "/debug/adsz", "Bearer " + outsider))
            .as("an identity of another namespace")
            .startsWith("403");
        String insider = CaServer.token(client, ns, "istioctl", "istio-ca");
        String ok = get(port, REMOTE, "/debug/adsz", "Bearer " + insider);
        assertThat(ok).startsWith("200").contains("node-ids");
        assertThat(get(port, REMOTE, "/open/adsz", null)).as("--debug-open").startsWith("200");
        assertThat(get(port, REMOTE, "/metrics", null)).as("metrics stay open").startsWith("200");
      }
    }
  }

  /** The status code and body of a GET sent from {@code from}. */
  private static String get(int port, InetAddress from, String path, String authorization)
      throws IOException {
    try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port, from, 0)) {
      s.setSoTimeout(20_000);
      String req =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
              + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
              + "\r\n";
      s.getOutputStream().write(req.getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String status = response.split(" ", 3)[1];
      int body = response.indexOf("\r\n\r\n");
      return status + " " + (body < 0 ? "" : response.substring(body + 4));
    }
  }

  private static InetAddress address(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
