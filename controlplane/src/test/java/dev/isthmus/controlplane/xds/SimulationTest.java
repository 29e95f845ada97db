package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.xds.Simulation.Call;
import dev.isthmus.controlplane.xds.Simulation.Outcome;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Routing by behaviour: configuration YAML and a request from the productpage sidecar, and what the
 * proxy does with it (which cluster, redirect, rewrite, fault...), walked through the generated
 * listener, route configuration, virtual host and route by {@link Simulation}.
 */
class SimulationTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";
  static final String V1 = "outbound|9080|v1|" + REVIEWS;
  static final String V2 = "outbound|9080|v2|" + REVIEWS;
  static final String ALL = "outbound|9080||" + REVIEWS;

  static final String SUBSETS =
      """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews, namespace: default}
      spec:
        host: reviews
        subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
      """;

  static String vs(String http) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews]
          http:
        """
        + http.indent(4);
  }

  static Outcome run(String vsYaml, Call call) {
    return run(vsYaml, call, false);
  }

  /** The call from the productpage sidecar, or from the ingress gateway pod. */
  static Outcome run(String yaml, Call call, boolean fromGateway) {
    List<VirtualService> vss = new ArrayList<>();
    List<io.fabric8.istio.api.networking.v1.Gateway> gws = new ArrayList<>();
    if (yaml != null) {
      for (String doc : yaml.split("(?m)^---\\s*$")) {
        if (doc.contains("kind: Gateway")) {
          gws.add(Serialization.unmarshal(doc, io.fabric8.istio.api.networking.v1.Gateway.class));
        } else if (!doc.isBlank()) {
          vss.add(Serialization.unmarshal(doc, VirtualService.class));
        }
      }
    }
    ClusterState s =
        ListenerGenerationTest.with(vss, gws, List.of(), fromGateway)
            .withDestinationRules(List.of(Serialization.unmarshal(SUBSETS, DestinationRule.class)));
    ProxyNode from =
        fromGateway
            ? Fixtures.sidecar("10.1.0.50", "ingress", "istio-system")
                .withType(ProxyNode.Type.ROUTER)
            : Fixtures.sidecar("10.1.0.9", "productpage", "default");
    return Simulation.outbound(ResourceGenerator.generate(Fixtures.build(s), from), call);
  }

  static final String GATEWAY =
      """
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata: {name: gw, namespace: istio-system}
      spec:
        selector: {istio: ingressgateway}
        servers:
        - port: {number: 80, name: http, protocol: HTTP}
          hosts: ["*.example.com"]
      ---
      """;

  static Stream<Arguments> gatewayCases() {
    String twoVirtualServices =
        GATEWAY
            + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: default}
            spec:
              hosts: [shop.example.com]
              gateways: [istio-system/gw]
              http:
              - match: [{uri: {prefix: /reviews}}]
                route: [{destination: {host: reviews, subset: v2, port: {number: 9080}}}]
              - route: [{destination: {host: productpage, port: {number: 9080}}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: api, namespace: default}
            spec:
              hosts: [api.example.com]
              gateways: [istio-system/gw]
              http:
              - corsPolicy: {allowOrigins: [{exact: "https://shop.example.com"}]}
                route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}}]
            """;
    String delegating =
        GATEWAY
            + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: root, namespace: default}
            spec:
              hosts: [shop.example.com]
              gateways: [istio-system/gw]
              http:
              - match: [{uri: {prefix: /reviews}}]
                delegate: {name: reviews-delegate, namespace: default}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews-delegate, namespace: default}
            spec:
              http:
              - match: [{uri: {prefix: /reviews/v2}}]
                route: [{destination: {host: reviews, subset: v2, port: {number: 9080}}}]
              - route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}}]
            """;
    String productpage = "outbound|9080||productpage.default.svc.cluster.local";
    return Stream.of(
        c(
            "gateway: path routes to a subset",
            twoVirtualServices,
            get80("shop.example.com", "/reviews/1"),
            o -> V2.equals(o.cluster()),
            V2),
        c(
            "gateway: default route of the host",
            twoVirtualServices,
            get80("shop.example.com", "/"),
            o -> productpage.equals(o.cluster()),
            productpage),
        c(
            "gateway: CORS on the route of another host",
            twoVirtualServices,
            get80("api.example.com", "/"),
            o -> V1.equals(o.cluster()) && o.perFilter().contains(RoutePolicies.CORS_FILTER),
            V1 + " with CORS"),
        c(
            "gateway: a host the Gateway does not serve",
            twoVirtualServices,
            get80("other.org", "/"),
            o -> o.error() != null || o.directStatus() != null,
            "no route"),
        c(
            "delegate: the delegate's own match, within the root's",
            delegating,
            get80("shop.example.com", "/reviews/v2/x"),
            o -> V2.equals(o.cluster()),
            V2),
        c(
            "delegate: the delegate's default",
            delegating,
            get80("shop.example.com", "/reviews/x"),
            o -> V1.equals(o.cluster()),
            V1),
        c(
            "delegate: outside the root's match",
            delegating,
            get80("shop.example.com", "/other"),
            o -> o.error() != null || o.directStatus() != null,
            "no route"));
  }

  static Call get80(String host, String path) {
    return Call.get(80, host, path);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("gatewayCases")
  void aRequestAtTheGatewayGoesWhereTheConfigurationSays(
      String name, String yaml, Call call, Predicate<Outcome> expect, String says) {
    Outcome o = run(yaml, call, true);
    assertThat(expect.test(o)).as("%s: expected %s, got %s", name, says, o).isTrue();
  }

  static Call get(String host, String path) {
    return Call.get(9080, host, path);
  }

  static Arguments c(String name, String vs, Call call, Predicate<Outcome> expect, String says) {
    return Arguments.of(name, vs, call, expect, says);
  }

  static Stream<Arguments> cases() {
    String byPath =
        vs(
            """
            - match: [{uri: {prefix: /v2}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - match: [{uri: {exact: /exact}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - match: [{uri: {regex: "/re/[0-9]+"}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - route: [{destination: {host: reviews, subset: v1}}]
            """);
    String byHeader =
        vs(
            """
            - match: [{headers: {end-user: {exact: jason}}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - match: [{method: {exact: POST}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - match: [{queryParams: {debug: {exact: "1"}}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - route: [{destination: {host: reviews, subset: v1}}]
            """);
    String weighted =
        vs(
            """
            - route:
              - {destination: {host: reviews, subset: v1}, weight: 80}
              - {destination: {host: reviews, subset: v2}, weight: 20}
            """);
    String actions =
        vs(
            """
            - match: [{uri: {prefix: /old}}]
              redirect: {uri: /new, authority: new.example.com}
            - match: [{uri: {prefix: /teapot}}]
              directResponse: {status: 418}
            - match: [{uri: {prefix: /api}}]
              rewrite: {uri: /v2/api, authority: reviews-v2}
              timeout: 3s
              retries: {attempts: 4, perTryTimeout: 1s}
              route: [{destination: {host: reviews, subset: v2}}]
            - match: [{uri: {prefix: /flaky}}]
              fault: {abort: {httpStatus: 503, percentage: {value: 50}}}
              route: [{destination: {host: reviews}}]
            - match: [{uri: {prefix: /shadow}}]
              mirror: {host: reviews, subset: v2}
              route: [{destination: {host: reviews, subset: v1}}]
            """);
    return Stream.of(
        c(
            "no VirtualService: the service's cluster",
            null,
            get("reviews", "/"),
            o -> ALL.equals(o.cluster()),
            ALL),
        c(
            "short name, FQDN and host:port reach one virtual host",
            null,
            get(REVIEWS + ":9080", "/"),
            o -> ALL.equals(o.cluster()),
            ALL),
        c(
            "unknown host on the port: no route",
            null,
            get("nowhere.example", "/"),
            o -> o.error() != null || "PassthroughCluster".equals(o.cluster()),
            "an error or passthrough"),
        c("prefix match", byPath, get("reviews", "/v2/x"), o -> V2.equals(o.cluster()), V2),
        c("exact match", byPath, get("reviews", "/exact"), o -> V2.equals(o.cluster()), V2),
        c(
            "exact is not prefix",
            byPath,
            get("reviews", "/exact/x"),
            o -> V1.equals(o.cluster()),
            V1),
        c("regex match", byPath, get("reviews", "/re/42"), o -> V2.equals(o.cluster()), V2),
        c("regex is anchored", byPath, get("reviews", "/re/42x"), o -> V1.equals(o.cluster()), V1),
        c("fallthrough route", byPath, get("reviews", "/other"), o -> V1.equals(o.cluster()), V1),
        c(
            "header match",
            byHeader,
            get("reviews", "/").with("end-user", "jason"),
            o -> V2.equals(o.cluster()),
            V2),
        c(
            "header mismatch",
            byHeader,
            get("reviews", "/").with("end-user", "bob"),
            o -> V1.equals(o.cluster()),
            V1),
        c(
            "method match",
            byHeader,
            get("reviews", "/").method("POST"),
            o -> V2.equals(o.cluster()),
            V2),
        c(
            "query parameter match",
            byHeader,
            get("reviews", "/?debug=1"),
            o -> V2.equals(o.cluster()),
            V2),
        c(
            "weighted subsets",
            weighted,
            get("reviews", "/"),
            o -> Map.of(V1, 80, V2, 20).equals(o.weighted()),
            "80/20"),
        c(
            "redirect",
            actions,
            get("reviews", "/old/page"),
            o -> "new.example.com/new".equals(o.redirect()),
            "new.example.com/new"),
        c(
            "direct response",
            actions,
            get("reviews", "/teapot"),
            o -> Integer.valueOf(418).equals(o.directStatus()),
            "418"),
        c(
            "rewrite, timeout and retries",
            actions,
            get("reviews", "/api/x"),
            o ->
                V2.equals(o.cluster())
                    && "/v2/api".equals(o.prefixRewrite())
                    && "reviews-v2".equals(o.hostRewrite())
                    && "3s".equals(o.timeout())
                    && Integer.valueOf(4).equals(o.retries()),
            "v2, /v2/api, reviews-v2, 3s, 4 retries"),
        c(
            "fault injection",
            actions,
            get("reviews", "/flaky"),
            o -> o.fault() && ALL.equals(o.cluster()),
            "fault on " + ALL),
        c(
            "mirror",
            actions,
            get("reviews", "/shadow"),
            o -> V1.equals(o.cluster()) && o.mirrors().equals(List.of(V2)),
            "v1, mirrored to v2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aRequestGoesWhereTheConfigurationSays(
      String name, String vsYaml, Call call, Predicate<Outcome> expect, String says) {
    Outcome o = run(vsYaml, call);
    assertThat(expect.test(o)).as("%s: expected %s, got %s", name, says, o).isTrue();
  }

  static Stream<Arguments> connections() {
    String mongo = "outbound|27017||mongo.default.svc.cluster.local";
    String mongoV1 = "outbound|27017|v1|mongo.default.svc.cluster.local";
    String mongoV2 = "outbound|27017|v2|mongo.default.svc.cluster.local";
    String tcpSplit =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: mongo, namespace: default}
        spec:
          hosts: [mongo]
          tcp:
          - route:
            - {destination: {host: mongo, subset: v1}, weight: 70}
            - {destination: {host: mongo, subset: v2}, weight: 30}
        """;
    String tlsBySni =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: secure, namespace: default}
        spec:
          hosts: [secure, a.secure.example.com]
          tls:
          - match: [{sniHosts: [a.secure.example.com], port: 443}]
            route: [{destination: {host: reviews, port: {number: 9080}}}]
        """;
    return Stream.of(
        Arguments.of(
            "plain TCP: the service's cluster",
            null,
            "10.96.0.20",
            27017,
            null,
            (Predicate<Simulation.Connection>) c -> mongo.equals(c.cluster()),
            mongo),
        Arguments.of(
            "TCP route split by weight",
            tcpSplit,
            "10.96.0.20",
            27017,
            null,
            (Predicate<Simulation.Connection>)
                c -> Map.of(mongoV1, 70, mongoV2, 30).equals(c.weighted()),
            "70/30"),
        Arguments.of(
            "TLS route by SNI",
            tlsBySni,
            "10.96.0.30",
            443,
            "a.secure.example.com",
            (Predicate<Simulation.Connection>) c -> ALL.equals(c.cluster()),
            ALL),
        Arguments.of(
            "TLS without a matching route: the service itself",
            tlsBySni,
            "10.96.0.30",
            443,
            "secure.default.svc.cluster.local",
            (Predicate<Simulation.Connection>)
                c -> "outbound|443||secure.default.svc.cluster.local".equals(c.cluster()),
            "outbound|443||secure.default.svc.cluster.local"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("connections")
  void aConnectionGoesWhereTheConfigurationSays(
      String name,
      String vsYaml,
      String ip,
      int port,
      String sni,
      Predicate<Simulation.Connection> expect,
      String says) {
    List<VirtualService> vss = new ArrayList<>();
    if (vsYaml != null) {
      vss.add(Serialization.unmarshal(vsYaml, VirtualService.class));
    }
    DestinationRule mongoSubsets =
        Serialization.unmarshal(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: mongo, namespace: default}
            spec:
              host: mongo
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            """,
            DestinationRule.class);
    ClusterState s = TcpTlsRouteTest.with(vss).withDestinationRules(List.of(mongoSubsets));
    Simulation.Connection c =
        Simulation.connect(
            ResourceGenerator.generate(Fixtures.build(s), TcpTlsRouteTest.PRODUCTPAGE),
            ip,
            port,
            sni);
    assertThat(expect.test(c)).as("%s: expected %s, got %s", name, says, c).isTrue();
  }
}
