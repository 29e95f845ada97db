package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every resource the control plane serves meets the protoc-gen-validate rules of Envoy's API, which
 * Envoy applies before it accepts configuration: LDS, RDS, CDS, EDS and SDS for sidecars, an
 * ingress gateway and proxyless gRPC clients and servers, generated from the corpus of {@code
 * src/test/resources/envoy-constraints/} and checked by {@code tools/envoy-validate}
 * (go-control-plane's Envoy types, every nested {@code typed_config} included). Under {@code
 * CI=true} a tool that cannot be built fails the test; elsewhere the test is skipped with the
 * reason.
 */
class EnvoyConstraintsTest {
  static final List<String> TYPES =
      List.of(
          Resources.V3.LISTENER_TYPE_URL,
          Resources.V3.ROUTE_TYPE_URL,
          Resources.V3.CLUSTER_TYPE_URL,
          Resources.V3.ENDPOINT_TYPE_URL,
          Resources.V3.SECRET_TYPE_URL);

  static Path tool;

  /**
   * Corpus objects that are invalid on purpose: served as written, they would break one of Envoy's
   * rules, so the model builder must leave them out.
   */
  static final List<String> REJECTED = List.of("VirtualService default/legacy-db-unweighted");

  /** Extension types the corpus must make the control plane generate (nested typed_configs). */
  static final List<String> EXTENSIONS =
      List.of(
          "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
          "envoy.extensions.filters.network.rbac.v3.RBAC",
          "envoy.extensions.filters.network.ext_authz.v3.ExtAuthz",
          "envoy.extensions.filters.http.rbac.v3.RBAC",
          "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
          "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
          "envoy.extensions.filters.http.fault.v3.HTTPFault",
          "envoy.extensions.filters.http.cors.v3.Cors",
          "envoy.extensions.filters.http.cors.v3.CorsPolicy",
          "envoy.extensions.filters.http.router.v3.Router",
          "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
          "envoy.extensions.filters.listener.original_dst.v3.OriginalDst",
          "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
          "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
          "envoy.extensions.transport_sockets.tls.v3.Secret",
          "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer",
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
          "envoy.config.listener.v3.Listener",
          "envoy.config.route.v3.RouteConfiguration",
          "envoy.config.cluster.v3.Cluster",
          "envoy.config.endpoint.v3.ClusterLoadAssignment");

  @BeforeAll
  static void tool() {
    EnvoyValidateTool.Located t = EnvoyValidateTool.locate();
    if (t.binary() == null) {
      String why = "envoy constraints: the check cannot run: " + t.problem();
      System.out.println(why);
      if ("true".equals(System.getenv("CI"))) {
        Assertions.fail(why);
      }
      Assumptions.abort(why + " (run scripts/envoy-validate.sh; needs Go)");
    }
    tool = t.binary();
  }

  /** The proxies of the corpus: label to node. */
  static Map<String, ProxyNode> proxies() {
    Map<String, ProxyNode> p = new LinkedHashMap<>();
    // pod, IP, locality ("" for none) of the sidecars in namespace default
    String[][] sidecars = {
      {"productpage", "10.1.0.9", "eu-west/zone-a/"},
      {"reviews-v1", "10.1.0.1", "eu-west/zone-a/"},
      {"reviews-v4", "10.1.0.4", "eu-west/zone-a/"},
      {"ratings", "10.1.0.20", "eu-west/zone-b/"},
      {"mongodb", "10.1.0.30", ""},
      {"secure", "10.1.0.40", "us-east/zone-c/"},
    };
    for (String[] s : sidecars) {
      ProxyNode node = Fixtures.sidecar(s[1], s[0], "default");
      p.put("sidecar/" + s[0], s[2].isEmpty() ? node : node.withLocality(s[2]));
    }
    p.put(
        "gateway/ingress",
        ProxyNode.parse(
                Fixtures.node(
                    "router~10.1.0.50~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local",
                    Map.of()))
            .withLocality("eu-west/zone-a/"));
    p.put("grpc/client", grpc("10.2.0.9", "client").withLocality("eu-west/zone-b/"));
    p.put("grpc/server", grpc("10.2.0.1", "echo-v1").withLocality("eu-west/zone-a/"));
    return p;
  }

  static ProxyNode grpc(String ip, String pod) {
    return ProxyNode.parse(
        Fixtures.node(
            "sidecar~" + ip + "~" + pod + ".grpc~grpc.svc.cluster.local",
            Map.of("GENERATOR", "grpc")));
  }

  /** Every resource served to every proxy of the corpus, named {@code <proxy> <type> <name>}. */
  static Map<String, Map<String, Message>> served(EnvoyConstraintCorpus corpus) {
    Map<String, Map<String, Message>> out = new LinkedHashMap<>();
    proxies()
        .forEach(
            (label, proxy) -> {
              ProxyResources r = ResourceGenerator.generate(corpus.mesh, proxy);
              // as served on 15012 to a verified proxy: with the credentials its resources name
              r = CredentialSecrets.decorate(proxy, "verified", r, corpus.secrets());
              Map<String, Message> all = new TreeMap<>();
              for (String type : TYPES) {
                String kind = type.substring(type.lastIndexOf('.') + 1);
                r.messages(type).forEach((name, m) -> all.put(kind + " " + name, m));
              }
              out.put(label, all);
            });
    return out;
  }

  @Test
  void everyServedResourceMeetsEnvoysConstraints() {
    EnvoyConstraintCorpus corpus = new EnvoyConstraintCorpus();
    assertThat(corpus.mesh.rejected())
        .as("corpus objects the model builder rejected")
        .containsOnlyKeys(REJECTED);
    Map<String, Map<String, Message>> served = served(corpus);
    assertCoverage(served);

    List<EnvoyValidateTool.Input> inputs = new ArrayList<>();
    served.forEach(
        (proxy, res) ->
            res.forEach(
                (name, m) -> inputs.add(new EnvoyValidateTool.Input(proxy + " " + name, m))));
    EnvoyValidateTool.Result r = EnvoyValidateTool.run(tool, inputs);
    r.violations().forEach(v -> System.out.println("  " + v));
    System.out.println("checked: " + r.types());
    System.out.println(r.summary());
    System.out.printf(
        "envoy constraints: %d violations in %d resources%n", r.violations().size(), inputs.size());
    assertThat(r.summary()).as("the tool's summary line; output:%n%s", r.output()).isNotEmpty();
    assertThat(r.types().keySet()).as("extensions the corpus reaches").containsAll(EXTENSIONS);
    assertThat(r.violations()).as("violations of Envoy's constraints").isEmpty();
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  /** The corpus reaches what it is for: each kind of proxy gets each type it is served. */
  static void assertCoverage(Map<String, Map<String, Message>> served) {
    Map<String, Integer> count = new TreeMap<>();
    served.forEach(
        (proxy, res) ->
            res.keySet()
                .forEach(
                    k ->
                        count.merge(proxy.split("/")[0] + " " + k.split(" ")[0], 1, Integer::sum)));
    for (String proxy : List.of("sidecar", "gateway", "grpc")) {
      for (String kind : List.of("Listener", "RouteConfiguration", "Cluster")) {
        assertThat(count.getOrDefault(proxy + " " + kind, 0)).as(proxy + " " + kind).isPositive();
      }
    }
    assertThat(count.getOrDefault("sidecar ClusterLoadAssignment", 0)).isPositive();
    assertThat(count.getOrDefault("grpc ClusterLoadAssignment", 0)).isPositive();
    assertThat(count.getOrDefault("gateway Secret", 0))
        .as("credentialName Secrets of the gateway's TLS servers")
        .isGreaterThanOrEqualTo(4);
    assertThat(served.get("grpc/server").keySet())
        .as("the proxyless server's inbound listeners")
        .anyMatch(k -> k.startsWith("Listener " + ProxylessServerListeners.PREFIX));
  }

  /**
   * The tool is no rubber stamp: it finds a broken rule at the top of a resource, one inside a
   * {@code typed_config} inside a {@code typed_config}, and an extension type it does not know.
   */
  @Test
  void theCheckFindsViolationsInsideNestedTypedConfigs() {
    HTTPFault badFault =
        HTTPFault.newBuilder()
            .setAbort(FaultAbort.newBuilder().setHttpStatus(700))
            .setDelay(FaultDelay.newBuilder().setFixedDelay(Duration.newBuilder().setSeconds(-1)))
            .build();
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("canary")
            .setRouteConfig(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.newBuilder())
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.fault")
                    .setTypedConfig(Any.pack(badFault)))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("example.unknown")
                    .setTypedConfig(
                        Any.newBuilder()
                            .setTypeUrl("type.googleapis.com/example.NotAnExtension")
                            .setValue(ByteString.copyFromUtf8("x"))))
            .build();
    Listener listener =
        Listener.newBuilder()
            .setName("canary")
            .setAddress(ListenerGenerator.address("0.0.0.0", 80))
            .addFilterChains(
                FilterChain.newBuilder()
                    .addFilters(
                        Filter.newBuilder()
                            .setName(ListenerGenerator.HCM)
                            .setTypedConfig(Any.pack(hcm))))
            .build();
    EnvoyValidateTool.Result r =
        EnvoyValidateTool.run(
            tool,
            List.of(
                new EnvoyValidateTool.Input("canary Listener", listener),
                new EnvoyValidateTool.Input(
                    "canary ClusterLoadAssignment", ClusterLoadAssignment.getDefaultInstance()),
                new EnvoyValidateTool.Input(
                    "canary Cluster", Cluster.newBuilder().setName("ok").build())));
    assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
    assertThat(r.violations())
        .as(r.output())
        .anyMatch(
            v ->
                v.startsWith("canary Listener filter_chains[0].filters[0].typed_config<")
                    && v.contains("http_filters[0].typed_config<HTTPFault>.abort.http_status:"))
        .anyMatch(v -> v.contains("typed_config<HTTPFault>.delay.fixed_delay:"))
        .anyMatch(
            v -> v.contains("http_filters[1].typed_config<NotAnExtension>: unknown extension type"))
        .anyMatch(v -> v.startsWith("canary ClusterLoadAssignment cluster_name:"))
        .noneMatch(v -> v.startsWith("canary Cluster "))
        .hasSize(4);
    assertThat(r.summary()).startsWith("envoy-validate: 4 violations in 3 resources");
  }
}
