package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.xds.Simulation.Arrival;
import dev.isthmus.controlplane.xds.Simulation.Cert;
import dev.isthmus.controlplane.xds.Simulation.Endpoint;
import dev.isthmus.controlplane.xds.Simulation.Peer;
import dev.isthmus.controlplane.xds.Simulation.Security;
import dev.isthmus.controlplane.xds.Simulation.TlsMode;
import dev.isthmus.controlplane.xds.Simulation.Upstream;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mutual TLS by behaviour. Client side: the transport productpage's proxy picks for each reviews
 * endpoint (automatic mutual TLS: Istio mTLS where the workload has a sidecar, plaintext elsewhere,
 * unless a DestinationRule or PeerAuthentication says otherwise). Server side: a connection
 * arriving at reviews-v1's inbound listener — plaintext, Istio mTLS, the application's own TLS —
 * and whether its PeerAuthentication (mesh, namespace, workload, port level) accepts it. End to
 * end: what the client sends, received by the server.
 */
class SimulationMtlsTest {
  static final String REVIEWS = SimulationTest.REVIEWS;
  static final String INBOUND = "inbound|9080||";
  static final String V1_IP = "10.1.0.1";
  static final String V2_IP = "10.1.0.2";

  static String pa(String namespace, String selector, String mtls) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s}
        spec:
          %s
          %s
        ---
        """
        .formatted(
            selector == null ? "default" : "by-selector", namespace,
            selector == null ? "" : "selector: {matchLabels: " + selector + "}", mtls);
  }

  static final String MESH_STRICT = pa("istio-system", null, "mtls: {mode: STRICT}");
  static final String MESH_DISABLE = pa("istio-system", null, "mtls: {mode: DISABLE}");
  static final String NS_STRICT = pa("default", null, "mtls: {mode: STRICT}");
  static final String NS_DISABLE = pa("default", null, "mtls: {mode: DISABLE}");
  static final String NS_PERMISSIVE = pa("default", null, "mtls: {mode: PERMISSIVE}");
  static final String REVIEWS_STRICT = pa("default", "{app: reviews}", "mtls: {mode: STRICT}");

  static String rule(String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          trafficPolicy: {tls: %s}
          subsets:
          - {name: v1, labels: {version: v1}}
        ---
        """
        .formatted(tls);
  }

  /** A TCP service on reviews' pods, port 5432. */
  static final String TCP_SERVICE =
      """
      apiVersion: v1
      kind: Service
      metadata: {name: reviews-db, namespace: default}
      spec:
        clusterIP: 10.96.0.40
        selector: {app: reviews}
        ports: [{name: tcp-db, port: 5432, targetPort: 5432}]
      ---
      """;

  static Arguments client(
      String name, String yaml, ProxyNode from, Predicate<Upstream> expect, String says) {
    return Arguments.of(name, yaml, from, expect, says);
  }

  static Arguments server(
      String name, String yaml, Peer peer, Predicate<Arrival> expect, String says) {
    return Arguments.of(name, yaml, peer, expect, says);
  }

  static Arguments endToEnd(
      String name, String yaml, String subset, Predicate<Arrival> expect, String says) {
    return Arguments.of(name, yaml, subset, expect, says);
  }

  static Stream<Arguments> autoMtls() {
    return Stream.of(
        client(
            "Istio mTLS to the endpoint whose workload has a sidecar",
            null,
            SimulationMesh.PRODUCTPAGE,
            u ->
                u.tlsPerEndpoint()
                    && u.endpoint(V1_IP).tls().mode() == TlsMode.ISTIO_MUTUAL
                    && u.endpoint(V1_IP).tls().sni().equals("outbound_.9080_._." + REVIEWS)
                    && u.endpoint(V1_IP).tls().certificate().equals("default"),
            "ISTIO_MUTUAL to 10.1.0.1"),
        client(
            "plaintext to the endpoint without a sidecar",
            null,
            SimulationMesh.PRODUCTPAGE,
            u -> u.endpoint(V2_IP).tls().mode() == TlsMode.PLAINTEXT,
            "plaintext to 10.1.0.2"),
        client(
            "from the ingress gateway too",
            null,
            SimulationMesh.INGRESS,
            u ->
                u.endpoint(V1_IP).tls().mode() == TlsMode.ISTIO_MUTUAL
                    && u.endpoint(V2_IP).tls().mode() == TlsMode.PLAINTEXT,
            "ISTIO_MUTUAL to 10.1.0.1, plaintext to 10.1.0.2"),
        client(
            "a rule with ISTIO_MUTUAL: mTLS to every endpoint, chosen per cluster",
            rule("{mode: ISTIO_MUTUAL}"),
            SimulationMesh.PRODUCTPAGE,
            u -> !u.tlsPerEndpoint() && u.endpoint(V2_IP).tls().mode() == TlsMode.ISTIO_MUTUAL,
            "ISTIO_MUTUAL to 10.1.0.2 as well"),
        client(
            "a rule with DISABLE: plaintext to the sidecar",
            rule("{mode: DISABLE}"),
            SimulationMesh.PRODUCTPAGE,
            u -> u.endpoint(V1_IP).tls().mode() == TlsMode.PLAINTEXT,
            "plaintext to 10.1.0.1"),
        client(
            "namespace DISABLE on the server's namespace: plaintext to the sidecar",
            NS_DISABLE,
            SimulationMesh.PRODUCTPAGE,
            u -> u.endpoint(V1_IP).tls().mode() == TlsMode.PLAINTEXT,
            "plaintext to 10.1.0.1"),
        client(
            "mesh-wide DISABLE: plaintext to the sidecar",
            MESH_DISABLE,
            SimulationMesh.PRODUCTPAGE,
            u -> u.endpoint(V1_IP).tls().mode() == TlsMode.PLAINTEXT,
            "plaintext to 10.1.0.1"),
        client(
            "namespace PERMISSIVE over mesh DISABLE: mTLS again",
            MESH_DISABLE + NS_PERMISSIVE,
            SimulationMesh.PRODUCTPAGE,
            u -> u.endpoint(V1_IP).tls().mode() == TlsMode.ISTIO_MUTUAL,
            "ISTIO_MUTUAL to 10.1.0.1"),
        client(
            "DISABLE in another namespace does not matter",
            pa("other", null, "mtls: {mode: DISABLE}"),
            SimulationMesh.PRODUCTPAGE,
            u -> u.endpoint(V1_IP).tls().mode() == TlsMode.ISTIO_MUTUAL,
            "ISTIO_MUTUAL to 10.1.0.1"),
        client(
            "a workload-level DISABLE is not seen by clients (Istio's best effort)",
            pa("default", "{app: reviews}", "mtls: {mode: DISABLE}"),
            SimulationMesh.PRODUCTPAGE,
            u -> u.endpoint(V1_IP).tls().mode() == TlsMode.ISTIO_MUTUAL,
            "ISTIO_MUTUAL to 10.1.0.1"));
  }

  /** The transport the proxy of {@code from} picks for each endpoint of the reviews cluster. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("autoMtls")
  void theClientPicksTheTransportPerEndpoint(
      String name, String yaml, ProxyNode from, Predicate<Upstream> expect, String says) {
    Upstream u = Simulation.upstream(SimulationMesh.resources(yaml, from), SimulationTest.ALL);
    assertThat(u.error()).as(name).isNull();
    Simulation.expect(name, u, expect, says);
  }

  static final String REVIEWS_ID = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews";
  static final String PRODUCTPAGE_ID = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage";

  static Arguments identity(
      String name,
      java.util.function.Supplier<ProxyResources> resources,
      String cluster,
      Predicate<Upstream> expect,
      String says) {
    return Arguments.of(name, resources, cluster, expect, says);
  }

  static java.util.function.Supplier<ProxyResources> from(String yaml, ProxyNode proxy) {
    return () -> SimulationMesh.resources(yaml, proxy);
  }

  /** A Service declaring its identities in Istio's annotations, reached with ISTIO_MUTUAL. */
  static final String RATINGS =
      """
      apiVersion: v1
      kind: Service
      metadata:
        name: ratings
        namespace: default
        annotations:
          alpha.istio.io/kubernetes-serviceaccounts: ratings-sa
          alpha.istio.io/canonical-serviceaccounts: spiffe://legacy.example/ns/ratings/sa/ratings
      spec:
        clusterIP: 10.96.0.41
        selector: {app: ratings}
        ports: [{name: http, port: 9080, targetPort: 9080}]
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: ratings, namespace: default}
      spec:
        host: ratings
        trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
      ---
      """;

  /** A mesh-internal ServiceEntry with a workload's service account and declared names. */
  static final String DB =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: db, namespace: default}
      spec:
        hosts: [db.internal]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{number: 5432, name: tcp, protocol: TCP}]
        endpoints: [{address: 10.2.0.1, serviceAccount: db-sa}]
        subjectAltNames: [spiffe://cluster.local/ns/default/sa/db-legacy]
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: db, namespace: default}
      spec:
        host: db.internal
        trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
      ---
      """;

  /**
   * Secure naming: with Istio mutual TLS (automatic or from a rule) the client accepts only a
   * server whose certificate names one of the service's identities, not any certificate of the mesh
   * CA.
   */
  static Stream<Arguments> serverIdentity() {
    ProxyNode pp = SimulationMesh.PRODUCTPAGE;
    String ratings = "outbound|9080||ratings.default.svc.cluster.local";
    return Stream.of(
        identity(
            "automatic mTLS: reviews' service account, not any mesh certificate",
            from(null, pp),
            SimulationTest.ALL,
            u ->
                u.endpoint(V1_IP).tls().sans().equals(List.of(REVIEWS_ID))
                    && u.endpoint(V1_IP).tls().acceptsServer(REVIEWS_ID)
                    && !u.endpoint(V1_IP).tls().acceptsServer(PRODUCTPAGE_ID),
            "only " + REVIEWS_ID),
        identity(
            "automatic mTLS: no name check where the client sends plaintext",
            from(null, pp),
            SimulationTest.ALL,
            u -> u.endpoint(V2_IP).tls().sans().isEmpty(),
            "plaintext to 10.1.0.2"),
        identity(
            "a rule with ISTIO_MUTUAL: the service accounts too",
            from(rule("{mode: ISTIO_MUTUAL}"), pp),
            SimulationTest.ALL,
            u ->
                u.endpoints().stream()
                    .allMatch(
                        e ->
                            e.tls().sans().equals(List.of(REVIEWS_ID))
                                && !e.tls().acceptsServer(PRODUCTPAGE_ID)),
            "only " + REVIEWS_ID),
        identity(
            "a subset cluster: the service's accounts",
            from(rule("{mode: ISTIO_MUTUAL}"), pp),
            SimulationTest.V1,
            u -> u.tls().sans().equals(List.of(REVIEWS_ID)),
            REVIEWS_ID),
        identity(
            "ISTIO_MUTUAL with subjectAltNames: those instead",
            from(
                rule(
                    "{mode: ISTIO_MUTUAL, subjectAltNames:"
                        + " [spiffe://cluster.local/ns/default/sa/reviews-admin]}"),
                pp),
            SimulationTest.ALL,
            u ->
                u.tls().sans().equals(List.of("spiffe://cluster.local/ns/default/sa/reviews-admin"))
                    && !u.tls().acceptsServer(REVIEWS_ID),
            "only reviews-admin"),
        identity(
            "from the ingress gateway too",
            from(null, SimulationMesh.INGRESS),
            SimulationTest.ALL,
            u -> u.endpoint(V1_IP).tls().sans().equals(List.of(REVIEWS_ID)),
            REVIEWS_ID),
        identity(
            "the mesh's trust domain",
            () -> SimulationMesh.resources(null, pp, "prod.example", List.of()),
            SimulationTest.ALL,
            u ->
                u.endpoint(V1_IP)
                    .tls()
                    .sans()
                    .equals(List.of("spiffe://prod.example/ns/default/sa/bookinfo-reviews")),
            "spiffe://prod.example/..."),
        identity(
            "trust domain aliases: the identity under each of them",
            () -> SimulationMesh.resources(null, pp, "cluster.local", List.of("old.example")),
            SimulationTest.ALL,
            u ->
                u.endpoint(V1_IP)
                    .tls()
                    .sans()
                    .equals(
                        List.of(REVIEWS_ID, "spiffe://old.example/ns/default/sa/bookinfo-reviews")),
            "cluster.local and old.example"),
        identity(
            "a Service's service-account annotations",
            from(RATINGS, pp),
            ratings,
            u ->
                u.tls()
                    .sans()
                    .equals(
                        List.of(
                            "spiffe://cluster.local/ns/default/sa/ratings-sa",
                            "spiffe://legacy.example/ns/ratings/sa/ratings")),
            "ratings-sa and the canonical account"),
        identity(
            "a ServiceEntry: its endpoints' service accounts and its subjectAltNames",
            from(DB, pp),
            "outbound|5432||db.internal",
            u ->
                u.tls().mode() == TlsMode.ISTIO_MUTUAL
                    && u.tls()
                        .sans()
                        .equals(
                            List.of(
                                "spiffe://cluster.local/ns/default/sa/db-legacy",
                                "spiffe://cluster.local/ns/default/sa/db-sa")),
            "db-legacy and db-sa"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("serverIdentity")
  void theClientAcceptsOnlyTheServiceIdentity(
      String name,
      java.util.function.Supplier<ProxyResources> resources,
      String cluster,
      Predicate<Upstream> expect,
      String says) {
    Upstream u = Simulation.upstream(resources.get(), cluster);
    assertThat(u.error()).as(name).isNull();
    Simulation.expect(name, u, expect, says);
  }

  static Predicate<Arrival> accepted(Security security, String cluster) {
    return a -> a.accepted() && a.security() == security && cluster.equals(a.cluster());
  }

  static Predicate<Arrival> refused() {
    return a -> !a.accepted();
  }

  static Stream<Arguments> inbound() {
    Peer plain = Peer.plaintext(9080);
    Peer mtls = Peer.mtls(9080);
    Peer appTls = Peer.tls(9080);
    String reviewsPortDisable =
        pa(
            "default",
            "{app: reviews}",
            "mtls: {mode: STRICT}\n  portLevelMtls: {9080: {mode: DISABLE}}");
    String reviewsOtherPort =
        pa(
            "default",
            "{app: reviews}",
            "mtls: {mode: STRICT}\n  portLevelMtls: {8080: {mode: DISABLE}}");
    String unlistedPort =
        pa(
            "default",
            "{app: reviews}",
            "mtls: {mode: STRICT}\n  portLevelMtls: {8000: {mode: DISABLE}}");
    String passthrough = "PassthroughCluster";
    return Stream.of(
        server(
            "no policy (PERMISSIVE): mTLS",
            null,
            mtls,
            accepted(Security.MUTUAL_TLS, INBOUND),
            "mTLS"),
        server(
            "no policy (PERMISSIVE): plaintext",
            null,
            plain,
            accepted(Security.PLAINTEXT, INBOUND),
            "plaintext"),
        server(
            "PERMISSIVE HTTP port: the application's own TLS has no chain",
            null,
            appTls,
            refused(),
            "refused"),
        server(
            "PERMISSIVE: Istio's ALPN without a client certificate",
            null,
            new Peer(9080, true, Cert.NONE, List.of("istio"), null),
            refused(),
            "refused: client certificate required"),
        server("mesh STRICT: plaintext refused", MESH_STRICT, plain, refused(), "refused"),
        server(
            "mesh STRICT: mTLS", MESH_STRICT, mtls, accepted(Security.MUTUAL_TLS, INBOUND), "mTLS"),
        server(
            "mesh STRICT: a certificate from another CA",
            MESH_STRICT,
            new Peer(9080, true, Cert.OTHER, List.of("istio"), null),
            refused(),
            "refused"),
        server(
            "mesh STRICT: TLS without a client certificate",
            MESH_STRICT,
            appTls,
            refused(),
            "refused"),
        server("namespace STRICT: plaintext refused", NS_STRICT, plain, refused(), "refused"),
        server(
            "namespace DISABLE over mesh STRICT: plaintext",
            MESH_STRICT + NS_DISABLE,
            plain,
            accepted(Security.PLAINTEXT, INBOUND),
            "plaintext"),
        server(
            "namespace DISABLE: mTLS refused on the HTTP port",
            MESH_STRICT + NS_DISABLE,
            mtls,
            refused(),
            "refused"),
        server(
            "namespace PERMISSIVE over mesh STRICT: plaintext",
            MESH_STRICT + NS_PERMISSIVE,
            plain,
            accepted(Security.PLAINTEXT, INBOUND),
            "plaintext"),
        server(
            "workload STRICT over namespace DISABLE: plaintext refused",
            NS_DISABLE + REVIEWS_STRICT,
            plain,
            refused(),
            "refused"),
        server(
            "workload UNSET inherits namespace STRICT",
            NS_STRICT + pa("default", "{app: reviews}", "mtls: {mode: UNSET}"),
            plain,
            refused(),
            "refused"),
        server(
            "a selector for another workload does not apply",
            NS_STRICT + pa("default", "{app: ratings}", "mtls: {mode: DISABLE}"),
            plain,
            refused(),
            "refused"),
        server(
            "port-level DISABLE under workload STRICT: plaintext",
            reviewsPortDisable,
            plain,
            accepted(Security.PLAINTEXT, INBOUND),
            "plaintext"),
        server(
            "port-level setting of another port: STRICT on this one",
            reviewsOtherPort,
            plain,
            refused(),
            "refused"),
        server(
            "port-level DISABLE on a port no Service declares: plaintext passes through",
            unlistedPort,
            Peer.plaintext(8000),
            accepted(Security.PLAINTEXT, passthrough),
            "plaintext to the passthrough cluster"),
        server(
            "the workload's STRICT on the other undeclared ports",
            unlistedPort,
            Peer.plaintext(7000),
            refused(),
            "refused"),
        server(
            "no policy: an undeclared port passes plaintext through",
            null,
            Peer.plaintext(7000),
            accepted(Security.PLAINTEXT, passthrough),
            "plaintext to the passthrough cluster"),
        server(
            "PERMISSIVE TCP port: the application's own TLS passes through",
            TCP_SERVICE,
            Peer.tls(5432),
            accepted(Security.TLS_PASSTHROUGH, "inbound|5432||"),
            "TLS passed through"),
        server(
            "PERMISSIVE TCP port: mTLS terminated",
            TCP_SERVICE,
            Peer.mtls(5432),
            accepted(Security.MUTUAL_TLS, "inbound|5432||"),
            "mTLS"),
        server(
            "STRICT TCP port: the application's own TLS refused",
            TCP_SERVICE + MESH_STRICT,
            Peer.tls(5432),
            refused(),
            "refused"),
        server(
            "DISABLE TCP port: anything goes to the application untouched",
            TCP_SERVICE + NS_DISABLE,
            Peer.mtls(5432),
            accepted(Security.TLS_PASSTHROUGH, "inbound|5432||"),
            "passed through"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inbound")
  void theServerAcceptsWhatItsPeerAuthenticationSays(
      String name, String yaml, Peer peer, Predicate<Arrival> expect, String says) {
    Arrival a = Simulation.inbound(SimulationMesh.resources(yaml, SimulationMesh.REVIEWS_V1), peer);
    assertThat(expect.test(a)).as("%s: expected %s, got %s", name, says, a).isTrue();
  }

  static Stream<Arguments> endToEnd() {
    return Stream.of(
        endToEnd(
            "no policy: mTLS", null, null, accepted(Security.MUTUAL_TLS, INBOUND), "mTLS accepted"),
        endToEnd(
            "server STRICT: mTLS",
            NS_STRICT,
            null,
            accepted(Security.MUTUAL_TLS, INBOUND),
            "mTLS accepted"),
        endToEnd(
            "namespace DISABLE: the client sends plaintext and the server takes it",
            NS_DISABLE,
            null,
            accepted(Security.PLAINTEXT, INBOUND),
            "plaintext accepted"),
        endToEnd(
            "subset cluster: mTLS with the subset's SNI",
            rule("null") + NS_STRICT,
            "v1",
            accepted(Security.MUTUAL_TLS, INBOUND),
            "mTLS accepted"),
        endToEnd(
            "a rule with DISABLE against a STRICT server: refused",
            rule("{mode: DISABLE}") + NS_STRICT,
            null,
            refused(),
            "refused"),
        endToEnd(
            "a workload DISABLE the client cannot see: mTLS refused (set the rule too)",
            pa("default", "{app: reviews}", "mtls: {mode: DISABLE}"),
            null,
            refused(),
            "refused"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endToEnd")
  void whatTheClientSendsIsWhatTheServerGets(
      String name, String yaml, String subset, Predicate<Arrival> expect, String says) {
    String cluster = Names.outboundCluster(9080, subset, REVIEWS);
    Upstream u =
        Simulation.upstream(SimulationMesh.resources(yaml, SimulationMesh.PRODUCTPAGE), cluster);
    Endpoint v1 = u.endpoint(V1_IP);
    assertThat(v1).as("%s: %s", name, u).isNotNull();
    Arrival a =
        Simulation.inbound(
            SimulationMesh.resources(yaml, SimulationMesh.REVIEWS_V1), Peer.from(v1));
    assertThat(expect.test(a))
        .as("%s: %s sent %s, expected %s, got %s", name, cluster, v1.tls(), says, a)
        .isTrue();
  }
}
