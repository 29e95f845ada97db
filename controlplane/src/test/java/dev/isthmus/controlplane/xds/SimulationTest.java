package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.xds.Simulation.Call;
import dev.isthmus.controlplane.xds.Simulation.Outcome;
import dev.isthmus.controlplane.xds.Simulation.Redirect;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Routing by behaviour: VirtualService YAML and a request from the productpage sidecar (or the
 * ingress gateway), and which cluster the proxy picks — matches, weights, VirtualServices merged on
 * gateways (not on sidecars), delegates, {@code httpsRedirect} — walked through the generated
 * listener, route configuration, virtual host and route by {@link Simulation}; and TCP and TLS
 * connections through their listeners and filter chains. What a route does besides choosing a
 * cluster is in {@link SimulationRouteActionsTest}, DestinationRule policies in {@link
 * SimulationDestinationRuleTest}, mutual TLS in {@link SimulationMtlsTest}.
 */
class SimulationTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";
  static final String V1 = "outbound|9080|v1|" + REVIEWS;
  static final String V2 = "outbound|9080|v2|" + REVIEWS;
  static final String ALL = "outbound|9080||" + REVIEWS;
  static final String PRODUCTPAGE = "outbound|9080||productpage.default.svc.cluster.local";

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
      ---
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

  /** The call from {@code proxy}, with the reviews subsets defined. */
  static Outcome run(String yaml, Call call, ProxyNode proxy) {
    return Simulation.outbound(
        SimulationMesh.resources(SUBSETS + (yaml == null ? "" : yaml), proxy), call);
  }

  static Arguments c(String name, String yaml, Call call, Predicate<Outcome> expect, String says) {
    return Arguments.of(name, yaml, call, expect, says);
  }

  static Call get(String host, String path) {
    return Call.get(9080, host, path);
  }

  static Call get80(String host, String path) {
    return Call.get(80, host, path);
  }

  static Stream<Arguments> matching() {
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
    String older =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: a-older, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
        spec:
          hosts: [reviews]
          http:
          - route: [{destination: {host: reviews, subset: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: b-newer, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
        spec:
          hosts: [reviews]
          http:
          - match: [{uri: {prefix: /v2}}]
            route: [{destination: {host: reviews, subset: v2}}]
        """;
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
            "unknown host on the port: passthrough",
            null,
            get("nowhere.example", "/"),
            o -> Names.PASSTHROUGH.equals(o.cluster()),
            Names.PASSTHROUGH),
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
            "sidecars do not merge: the older VirtualService of a host wins",
            older,
            get("reviews", "/v2/x"),
            o -> V1.equals(o.cluster()),
            V1 + " (b-newer's /v2 route is not used)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("matching")
  void aRequestGoesWhereTheMatchesSay(
      String name, String yaml, Call call, Predicate<Outcome> expect, String says) {
    check(name, run(yaml, call, SimulationMesh.PRODUCTPAGE), expect, says);
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
    String merged =
        GATEWAY
            + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: site, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              hosts: [shop.example.com]
              gateways: [istio-system/gw]
              http:
              - route: [{destination: {host: productpage, port: {number: 9080}}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
            spec:
              hosts: [shop.example.com]
              gateways: [istio-system/gw]
              http:
              - match: [{uri: {prefix: /reviews}}]
                route: [{destination: {host: reviews, subset: v2, port: {number: 9080}}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: elsewhere, namespace: default}
            spec:
              hosts: [shop.example.com]
              gateways: [istio-system/other]
              http:
              - match: [{uri: {prefix: /other}}]
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
              - match: [{uri: {prefix: /gone}}]
                delegate: {name: missing, namespace: default}
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
    String tlsServers =
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: ["shop.example.com"]
            tls: {mode: SIMPLE, credentialName: shop-cert}
          - port: {number: 8443, name: mtls, protocol: HTTPS}
            hosts: ["partner.example.com"]
            tls: {mode: MUTUAL, credentialName: partner-cert}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: shop, namespace: default}
        spec:
          hosts: [shop.example.com, partner.example.com]
          gateways: [istio-system/gw]
          http:
          - route: [{destination: {host: productpage, port: {number: 9080}}}]
        """;
    String httpsRedirect =
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["secure.example.com"]
            tls: {httpsRedirect: true}
          - port: {number: 80, name: http-plain, protocol: HTTP}
            hosts: ["plain.example.com"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: both, namespace: default}
        spec:
          hosts: [secure.example.com, plain.example.com]
          gateways: [istio-system/gw]
          http:
          - route: [{destination: {host: productpage, port: {number: 9080}}}]
        """;
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
            o -> PRODUCTPAGE.equals(o.cluster()),
            PRODUCTPAGE),
        c(
            "gateway: CORS on the route of another host",
            twoVirtualServices,
            get80("api.example.com", "/").with("origin", "https://shop.example.com"),
            o -> V1.equals(o.cluster()) && o.cors().originAllowed(),
            V1 + " with CORS allowing the origin"),
        c(
            "gateway: a host the Gateway does not serve",
            twoVirtualServices,
            get80("other.org", "/"),
            o -> o.error() != null,
            "no route"),
        c(
            "gateway merge: the newer VirtualService's route before the older catch-all",
            merged,
            get80("shop.example.com", "/reviews/1"),
            o -> V2.equals(o.cluster()),
            V2),
        c(
            "gateway merge: the older VirtualService's catch-all still serves the rest",
            merged,
            get80("shop.example.com", "/cart"),
            o -> PRODUCTPAGE.equals(o.cluster()),
            PRODUCTPAGE),
        c(
            "gateway merge: a VirtualService bound to another Gateway is not merged",
            merged,
            get80("shop.example.com", "/other"),
            o -> PRODUCTPAGE.equals(o.cluster()),
            PRODUCTPAGE + ", not v1"),
        c(
            "gateway: httpsRedirect sends plain HTTP to https",
            httpsRedirect,
            get80("secure.example.com", "/a?b=1"),
            o ->
                new Redirect(301, "https://secure.example.com/a?b=1").equals(o.redirect())
                    && o.cluster() == null,
            "301 https://secure.example.com/a?b=1"),
        c(
            "gateway: a server without httpsRedirect serves plain HTTP",
            httpsRedirect,
            get80("plain.example.com", "/a"),
            o -> o.redirect() == null && PRODUCTPAGE.equals(o.cluster()),
            PRODUCTPAGE),
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
            o -> o.error() != null,
            "no route"),
        c(
            "delegate: a missing delegate drops its route",
            delegating,
            get80("shop.example.com", "/gone"),
            o -> o.error() != null,
            "no route"),
        c(
            "gateway HTTPS: the SNI picks the server's chain and its routes",
            tlsServers,
            Call.get(443, "shop.example.com", "/").tls("shop.example.com"),
            o -> PRODUCTPAGE.equals(o.cluster()),
            PRODUCTPAGE),
        c(
            "gateway HTTPS: an SNI no server names gets no chain",
            tlsServers,
            Call.get(443, "other.example.com", "/").tls("other.example.com"),
            o -> o.error() != null && o.cluster() == null,
            "connection closed"),
        c(
            "gateway HTTPS: plaintext on the TLS port gets no chain",
            tlsServers,
            Call.get(443, "shop.example.com", "/"),
            o -> o.error() != null && o.cluster() == null,
            "connection closed"),
        c(
            "gateway MUTUAL: a client without certificate is refused",
            tlsServers,
            Call.get(8443, "partner.example.com", "/").tls("partner.example.com"),
            o -> o.error() != null && o.error().contains("certificate"),
            "client certificate required"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("gatewayCases")
  void aRequestAtTheGatewayGoesWhereTheConfigurationSays(
      String name, String yaml, Call call, Predicate<Outcome> expect, String says) {
    check(name, run(yaml, call, SimulationMesh.INGRESS), expect, says);
  }

  static void check(String name, Outcome o, Predicate<Outcome> expect, String says) {
    Simulation.expect(name, o, expect, says);
  }

  static Arguments tcp(
      String name,
      String yaml,
      ProxyNode from,
      String ip,
      int port,
      String sni,
      Predicate<Simulation.Connection> expect,
      String says) {
    return Arguments.of(name, yaml, from, ip, port, sni, expect, says);
  }

  static Stream<Arguments> connections() {
    String mongo = "outbound|27017||mongo.default.svc.cluster.local";
    String mongoV1 = "outbound|27017|v1|mongo.default.svc.cluster.local";
    String mongoV2 = "outbound|27017|v2|mongo.default.svc.cluster.local";
    String subsets =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: mongo, namespace: default}
        spec:
          host: mongo
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        """;
    String tcpSplit =
        subsets
            + """
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
    String tcpOtherPort =
        subsets
            + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: mongo, namespace: default}
            spec:
              hosts: [mongo]
              tcp:
              - match: [{port: 27018}]
                route: [{destination: {host: mongo, subset: v1}}]
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
    String secure = "outbound|443||secure.default.svc.cluster.local";
    String passthrough =
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 15443, name: tls, protocol: TLS}
            hosts: ["*.pass.example.com"]
            tls: {mode: PASSTHROUGH}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: pass, namespace: default}
        spec:
          hosts: [a.pass.example.com]
          gateways: [istio-system/gw]
          tls:
          - match: [{sniHosts: [a.pass.example.com]}]
            route: [{destination: {host: reviews, port: {number: 9080}}}]
        """;
    return Stream.of(
        tcp(
            "plain TCP: the service's cluster",
            subsets,
            SimulationMesh.PRODUCTPAGE,
            "10.96.0.20",
            27017,
            null,
            c -> mongo.equals(c.cluster()),
            mongo),
        tcp(
            "TCP route split by weight",
            tcpSplit,
            SimulationMesh.PRODUCTPAGE,
            "10.96.0.20",
            27017,
            null,
            c ->
                Map.of(mongoV1, 70, mongoV2, 30).equals(c.weighted())
                    && c.upstreams().get(mongoV1).error() == null,
            "70/30 over existing clusters"),
        tcp(
            "TCP route for another port does not apply",
            tcpOtherPort,
            SimulationMesh.PRODUCTPAGE,
            "10.96.0.20",
            27017,
            null,
            c -> mongo.equals(c.cluster()),
            mongo),
        tcp(
            "TLS route by SNI",
            tlsBySni,
            SimulationMesh.PRODUCTPAGE,
            "10.96.0.30",
            443,
            "a.secure.example.com",
            c -> ALL.equals(c.cluster()),
            ALL),
        tcp(
            "TLS without a matching route: the service itself",
            tlsBySni,
            SimulationMesh.PRODUCTPAGE,
            "10.96.0.30",
            443,
            "secure.default.svc.cluster.local",
            c -> secure.equals(c.cluster()),
            secure),
        tcp(
            "TLS without SNI: the service itself",
            tlsBySni,
            SimulationMesh.PRODUCTPAGE,
            "10.96.0.30",
            443,
            null,
            c -> secure.equals(c.cluster()),
            secure),
        tcp(
            "TLS without a VirtualService: the service itself",
            null,
            SimulationMesh.PRODUCTPAGE,
            "10.96.0.30",
            443,
            "a.secure.example.com",
            c -> secure.equals(c.cluster()),
            secure),
        tcp(
            "gateway TLS passthrough by SNI",
            passthrough,
            SimulationMesh.INGRESS,
            "10.1.0.50",
            15443,
            "a.pass.example.com",
            c -> ALL.equals(c.cluster()),
            ALL),
        tcp(
            "gateway TLS passthrough: an SNI without route gets no chain",
            passthrough,
            SimulationMesh.INGRESS,
            "10.1.0.50",
            15443,
            "b.pass.example.com",
            c -> c.error() != null && c.cluster() == null,
            "connection closed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("connections")
  void aConnectionGoesWhereTheConfigurationSays(
      String name,
      String yaml,
      ProxyNode from,
      String ip,
      int port,
      String sni,
      Predicate<Simulation.Connection> expect,
      String says) {
    Simulation.Connection c =
        Simulation.connect(SimulationMesh.resources(yaml, from), ip, port, sni);
    assertThat(expect.test(c)).as("%s: expected %s, got %s", name, says, c).isTrue();
  }
}
