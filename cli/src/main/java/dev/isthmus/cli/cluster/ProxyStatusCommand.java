package dev.isthmus.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code isthmus proxy-status [PROXY]}: the xDS sync state of every proxy connected to the control
 * plane, read from its {@code /debug/syncz} (monitoring port 15014), in istioctl's table. Without
 * {@code --debug-address} the request goes through the API server's service proxy to {@code
 * istiod[-revision]} (no port-forward); the control plane answers {@code /debug} only to localhost
 * or to a service-account token of its namespace ({@code --token}), so a control plane running on
 * this machine is reached with {@code --debug-address 127.0.0.1:15014}.
 */
@Command(
    name = "isthmus proxy-status",
    mixinStandardHelpOptions = true,
    description = "Prints the xDS sync state of the proxies connected to the control plane.")
final class ProxyStatusCommand implements Callable<Integer> {
  static final List<String> TYPES = List.of("cds", "lds", "eds", "rds", "ecds");

  @Mixin ClusterOptions cluster;

  @Option(
      names = {"-r", "--revision"},
      paramLabel = "REVISION",
      defaultValue = "default",
      description = "control plane revision (default: ${DEFAULT-VALUE})")
  String revision;

  @Option(
      names = "--debug-address",
      paramLabel = "HOST:PORT",
      description = "the control plane's monitoring address instead of the API server's proxy")
  String debugAddress;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "bearer token for --debug-address (a service account of the istio namespace)")
  String token;

  @Parameters(
      arity = "0..1",
      paramLabel = "PROXY",
      description = "only this proxy: <pod>.<namespace> or its full node id")
  String proxy;

  private final PrintStream out;
  private final PrintStream err;

  ProxyStatusCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    if (revision.isBlank()) {
      throw new IllegalArgumentException("--revision must not be empty");
    }
    String body = debugAddress != null ? direct(debugAddress) : throughApiServer();
    JsonNode syncz;
    try {
      syncz = new ObjectMapper().readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException("/debug/syncz: not JSON: " + e.getMessage());
    }
    if (!syncz.isArray()) {
      throw new IllegalStateException("/debug/syncz: expected a JSON list of connections");
    }
    List<String[]> rows = rows(syncz, proxy);
    if (proxy != null && rows.size() == 1) {
      throw new IllegalArgumentException(
          "proxy " + proxy + " is not connected to the control plane");
    }
    Tables.print(out, rows);
    return 0;
  }

  /** The table, header first; only {@code proxy} when not null. */
  static List<String[]> rows(JsonNode syncz, String proxy) {
    List<String[]> rows = new ArrayList<>();
    for (JsonNode c : syncz) {
      String id = c.path("proxy").asText("");
      String name = name(id);
      if (proxy != null && !proxy.equals(id) && !proxy.equals(name)) {
        continue;
      }
      String[] row = new String[4 + TYPES.size()];
      row[0] = name;
      row[1] = c.path("clusterId").asText("");
      for (int i = 0; i < TYPES.size(); i++) {
        row[2 + i] = status(c.path("types").path(TYPES.get(i)));
      }
      row[2 + TYPES.size()] = c.path("istiod").asText("");
      row[3 + TYPES.size()] = c.path("istioVersion").asText("");
      rows.add(row);
    }
    rows.sort(Comparator.comparing((String[] r) -> r[0]));
    rows.add(
        0,
        new String[] {"NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION"});
    return rows;
  }

  /** {@code <pod>.<namespace>} from {@code <type>~<ip>~<pod>.<namespace>~<domain>}. */
  static String name(String id) {
    String[] parts = id.split("~", -1);
    return parts.length == 4 ? parts[2] : id;
  }

  /** SYNCED when the last response was acknowledged, NOT SENT before any, else STALE. */
  static String status(JsonNode type) {
    String sent = type.path("sent").asText("");
    if (type.isMissingNode() || sent.isEmpty()) {
      return "NOT SENT";
    }
    if (sent.equals(type.path("acked").asText(""))) {
      return "SYNCED";
    }
    return type.has("lastNack") ? "STALE (NACK)" : "STALE";
  }

  private String direct(String address) throws IOException, InterruptedException {
    URI uri;
    try {
      uri =
          URI.create(
              (address.contains("://") ? address : "http://" + address).replaceAll("/+$", "")
                  + "/debug/syncz");
      if (uri.getHost() == null || uri.getPort() < 0) {
        throw new IllegalArgumentException("no port");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--debug-address " + address + ": expected HOST:PORT or http://HOST:PORT");
    }
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (token != null) {
      req.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r;
    try {
      r =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .build()
              .send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot reach the control plane at " + uri + ": " + e.getMessage());
    }
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          uri + " answered " + r.statusCode() + ": " + r.body().strip());
    }
    return r.body();
  }

  private String throughApiServer() {
    String service = "default".equals(revision) ? "istiod" : "istiod-" + revision;
    String ns = cluster.istioNamespace();
    try (KubernetesClient client = cluster.client()) {
      String path =
          "/api/v1/namespaces/" + ns + "/services/http:" + service + ":15014/proxy/debug/syncz";
      String body = client.raw(path);
      if (body == null) {
        throw new IllegalStateException(
            "no control plane service " + ns + "/" + service + " (revision " + revision + ")");
      }
      return body;
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          "cannot read /debug/syncz of service "
              + ns
              + "/"
              + service
              + " through the API server ("
              + e.getMessage()
              + "); the control plane answers /debug to localhost or to a token of namespace "
              + ns
              + ": pass --debug-address (and --token)");
    }
  }
}
