package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.xds.Simulation.Call;
import dev.isthmus.controlplane.xds.Simulation.Limits;
import dev.isthmus.controlplane.xds.Simulation.Outcome;
import dev.isthmus.controlplane.xds.Simulation.TlsMode;
import dev.isthmus.controlplane.xds.Simulation.Upstream;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DestinationRule policies by behaviour: a request from productpage to reviews and the cluster the
 * proxy sends it to — its endpoints (subsets), load balancer, outlier detection, limits, per-port
 * settings, locality priorities and weights, and the TLS it originates.
 */
class SimulationDestinationRuleTest {
  static final String REVIEWS = SimulationTest.REVIEWS;
  static final String ALL = SimulationTest.ALL;
  static final String V1 = SimulationTest.V1;
  static final String V2 = SimulationTest.V2;
  static final long UNLIMITED = 4294967295L;

  /** A DestinationRule for reviews with subsets v1 and v2 and the given top-level policy. */
  static String rule(String trafficPolicy) {
    return rule(trafficPolicy, "{}", "{}");
  }

  static String rule(String trafficPolicy, String v1Policy, String v2Policy) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          trafficPolicy: %s
          subsets:
          - {name: v1, labels: {version: v1}, trafficPolicy: %s}
          - {name: v2, labels: {version: v2}, trafficPolicy: %s}
        ---
        """
        .formatted(trafficPolicy, v1Policy, v2Policy);
  }

  static String toSubset(String subset) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews]
          http:
          - route: [{destination: {host: reviews, subset: %s}}]
        """
        .formatted(subset);
  }

  /** The rule for productpage's workloads only: sidecars then use its {@code credentialName}. */
  static String selected(String rule) {
    return rule.replace(
        "spec:\n", "spec:\n  workloadSelector: {matchLabels: {app: productpage}}\n");
  }

  static Arguments c(
      String name, String yaml, ProxyNode from, Predicate<Upstream> expect, String says) {
    return Arguments.of(name, yaml, from, expect, says);
  }

  static final ProxyNode PP = SimulationMesh.PRODUCTPAGE;
  static final ProxyNode PP_ZONE_A = SimulationMesh.PRODUCTPAGE_ZONE_A;

  static Stream<Arguments> subsets() {
    String plain = rule("{}");
    return Stream.of(
        c(
            "subset v1: only the endpoints labelled v1",
            plain + toSubset("v1"),
            PP,
            u -> u.name().equals(V1) && u.priorities().equals(List.of("10.1.0.1 zone-a p0 w1")),
            "10.1.0.1"),
        c(
            "subset v2: only the endpoints labelled v2",
            plain + toSubset("v2"),
            PP,
            u -> u.name().equals(V2) && u.priorities().equals(List.of("10.1.0.2 zone-b p0 w1")),
            "10.1.0.2"),
        c(
            "no subset: every serving endpoint, a terminating one draining, not-ready ones left out",
            plain,
            PP,
            u ->
                u.name().equals(ALL)
                    && u.endpoints().stream()
                        .map(e -> e.address() + " " + e.health())
                        .toList()
                        .equals(
                            List.of("10.1.0.1 HEALTHY", "10.1.0.3 DRAINING", "10.1.0.2 HEALTHY")),
            "10.1.0.1, 10.1.0.3 draining, 10.1.0.2"),
        c(
            "a subset the rule does not define: no cluster, Envoy answers 503",
            plain + toSubset("v9"),
            PP,
            u -> u.error() != null && u.endpoints().isEmpty(),
            "no cluster"),
        c(
            "subset policy over the top level",
            rule(
                    "{loadBalancer: {simple: LEAST_REQUEST}}",
                    "{loadBalancer: {simple: RANDOM}}",
                    "{}")
                + toSubset("v1"),
            PP,
            u -> u.lb().equals("RANDOM"),
            "RANDOM"),
        c(
            "a subset without policy inherits the top level",
            rule(
                    "{loadBalancer: {simple: LEAST_REQUEST}}",
                    "{loadBalancer: {simple: RANDOM}}",
                    "{}")
                + toSubset("v2"),
            PP,
            u -> u.lb().equals("LEAST_REQUEST"),
            "LEAST_REQUEST"));
  }

  static Stream<Arguments> policies() {
    String pool =
        """
        {connectionPool: {tcp: {maxConnections: 100, connectTimeout: 3s},
                          http: {http2MaxRequests: 1000, http1MaxPendingRequests: 10, maxRetries: 3}},
         outlierDetection: {consecutive5xxErrors: 7, interval: 5s, baseEjectionTime: 30s,
                            maxEjectionPercent: 50}}
        """;
    String portLevel =
        """
        {loadBalancer: {simple: LEAST_REQUEST},
         connectionPool: {tcp: {maxConnections: 10}},
         portLevelSettings: [{port: {number: %d}, loadBalancer: {simple: RANDOM},
                              outlierDetection: {consecutive5xxErrors: 3}}]}
        """;
    return Stream.of(
        c("no rule: round robin", null, PP, u -> u.lb().equals("ROUND_ROBIN"), "ROUND_ROBIN"),
        c(
            "load balancer: LEAST_REQUEST",
            rule("{loadBalancer: {simple: LEAST_REQUEST}}"),
            PP,
            u -> u.lb().equals("LEAST_REQUEST"),
            "LEAST_REQUEST"),
        c(
            "load balancer: LEAST_CONN is least request",
            rule("{loadBalancer: {simple: LEAST_CONN}}"),
            PP,
            u -> u.lb().equals("LEAST_REQUEST"),
            "LEAST_REQUEST"),
        c(
            "load balancer: RANDOM",
            rule("{loadBalancer: {simple: RANDOM}}"),
            PP,
            u -> u.lb().equals("RANDOM"),
            "RANDOM"),
        c(
            "load balancer: consistent hash is a ring hash",
            rule("{loadBalancer: {consistentHash: {httpHeaderName: x-user}}}"),
            PP,
            u -> u.lb().equals("RING_HASH"),
            "RING_HASH"),
        c(
            "outlier detection and connection pool from the rule",
            rule(pool),
            PP,
            u ->
                u.outlier().consecutive5xx() == 7
                    && u.outlier().interval().equals("5s")
                    && u.outlier().baseEjectionTime().equals("30s")
                    && u.outlier().maxEjectionPercent() == 50
                    && u.limits().equals(new Limits(100, 10, 1000, 3))
                    && u.connectTimeout().equals("3s"),
            "5xx 7, 5s, 30s, 50%; 100 connections, 10 pending, 1000 requests, 3 retries; 3s"),
        c(
            "no rule: no outlier detection, Istio's connect timeout",
            null,
            PP,
            u -> u.outlier() == null && u.connectTimeout().equals("10s"),
            "no outlier detection, 10s"),
        c(
            "a rule without connection pool leaves the proxy unlimited, as Istio",
            rule("{loadBalancer: {simple: RANDOM}}"),
            PP,
            u -> u.limits().equals(new Limits(UNLIMITED, UNLIMITED, UNLIMITED, UNLIMITED)),
            "no limits (not Envoy's 1024 and 3 retries)"),
        c(
            "no rule: unlimited too",
            null,
            PP,
            u -> u.limits().equals(new Limits(UNLIMITED, UNLIMITED, UNLIMITED, UNLIMITED)),
            "no limits"),
        c(
            "a connection pool setting only limits what it sets",
            rule("{connectionPool: {tcp: {maxConnections: 5}}}"),
            PP,
            u -> u.limits().equals(new Limits(5, UNLIMITED, UNLIMITED, UNLIMITED)),
            "5 connections, nothing else limited"),
        c(
            "port-level settings for the port replace the top level",
            rule(portLevel.formatted(9080)),
            PP,
            u ->
                u.lb().equals("RANDOM")
                    && u.outlier().consecutive5xx() == 3
                    && u.limits().maxConnections() == UNLIMITED,
            "RANDOM, 5xx 3, the top level's connection pool gone"),
        c(
            "port-level settings of another port do not apply",
            rule(portLevel.formatted(8080)),
            PP,
            u ->
                u.lb().equals("LEAST_REQUEST")
                    && u.outlier() == null
                    && u.limits().maxConnections() == 10,
            "LEAST_REQUEST, 10 connections"),
        c(
            "a subset's port-level settings apply to the subset",
            rule(
                    "{}",
                    "{portLevelSettings: [{port: {number: 9080}, loadBalancer: {simple: RANDOM}}]}",
                    "{}")
                + toSubset("v1"),
            PP,
            u -> u.lb().equals("RANDOM"),
            "RANDOM"));
  }

  static Stream<Arguments> locality() {
    String outlier = "{outlierDetection: {consecutive5xxErrors: 5}}";
    return Stream.of(
        c(
            "locality failover needs outlier detection: without it one priority",
            rule("{}"),
            PP_ZONE_A,
            u ->
                u.priorities()
                        .equals(
                            List.of(
                                "10.1.0.1 zone-a p0 w2",
                                "10.1.0.3 zone-a p0 w2",
                                "10.1.0.2 zone-b p0 w1"))
                    && !u.localityWeighted(),
            "all p0"),
        c(
            "locality failover: the proxy's zone first",
            rule(outlier),
            PP_ZONE_A,
            u ->
                u.priorities()
                    .equals(
                        List.of(
                            "10.1.0.1 zone-a p0 w2",
                            "10.1.0.3 zone-a p0 w2",
                            "10.1.0.2 zone-b p1 w1")),
            "zone-a p0, zone-b p1"),
        c(
            "locality failover: a proxy in zone b prefers zone b",
            rule(outlier),
            PP_ZONE_A.withLocality("eu-west/zone-b/"),
            u ->
                u.priorities()
                    .equals(
                        List.of(
                            "10.1.0.1 zone-a p1 w2",
                            "10.1.0.3 zone-a p1 w2",
                            "10.1.0.2 zone-b p0 w1")),
            "zone-b p0, zone-a p1"),
        c(
            "locality failover: a proxy without locality gets one priority",
            rule(outlier),
            PP,
            u -> u.endpoints().stream().allMatch(e -> e.priority() == 0),
            "all p0"),
        c(
            "locality load balancing disabled",
            rule(outlier.replace("}}", "}, loadBalancer: {localityLbSetting: {enabled: false}}}")),
            PP_ZONE_A,
            u -> u.endpoints().stream().allMatch(e -> e.priority() == 0) && !u.localityWeighted(),
            "all p0, not locality weighted"),
        c(
            "distribute: locality weights from the rule",
            rule(
                """
                {loadBalancer: {localityLbSetting: {distribute: [{from: "eu-west/zone-a/*",
                   to: {"eu-west/zone-a/*": 80, "eu-west/zone-b/*": 20}}]}}}
                """),
            PP_ZONE_A,
            u ->
                u.localityWeighted()
                    && u.priorities()
                        .equals(
                            List.of(
                                "10.1.0.1 zone-a p0 w80",
                                "10.1.0.3 zone-a p0 w80",
                                "10.1.0.2 zone-b p0 w20")),
            "zone-a 80, zone-b 20"),
        c(
            "distribute: a rule for another source locality does not apply",
            rule(
                """
                {loadBalancer: {localityLbSetting: {distribute: [{from: "eu-west/zone-b/*",
                   to: {"eu-west/zone-b/*": 100}}]}}}
                """),
            PP_ZONE_A,
            u ->
                u.priorities()
                    .equals(
                        List.of(
                            "10.1.0.1 zone-a p0 w2",
                            "10.1.0.3 zone-a p0 w2",
                            "10.1.0.2 zone-b p0 w1")),
            "weights by endpoint count"));
  }

  static Stream<Arguments> tlsOrigination() {
    String serviceEntry =
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: default}
        spec:
          hosts: [api.example.com]
          ports: [{number: 80, name: http, protocol: HTTP}]
          resolution: DNS
          location: MESH_EXTERNAL
        ---
        """;
    return Stream.of(
        c(
            "ISTIO_MUTUAL: the mesh certificate to every endpoint, SNI of the cluster",
            rule("{tls: {mode: ISTIO_MUTUAL}}"),
            PP,
            u ->
                !u.tlsPerEndpoint()
                    && u.endpoints().stream()
                        .allMatch(
                            e ->
                                e.tls().mode() == TlsMode.ISTIO_MUTUAL
                                    && e.tls().sni().equals("outbound_.9080_._." + REVIEWS)
                                    && e.tls()
                                        .alpn()
                                        .equals(List.of("istio-peer-exchange", "istio"))),
            "ISTIO_MUTUAL to 10.1.0.1, 10.1.0.3 and 10.1.0.2 (no sidecar)"),
        c(
            "ISTIO_MUTUAL on a subset: its SNI names the subset",
            rule("{tls: {mode: ISTIO_MUTUAL}}") + toSubset("v1"),
            PP,
            u ->
                u.tls().mode() == TlsMode.ISTIO_MUTUAL
                    && u.tls().sni().equals("outbound_.9080_.v1_." + REVIEWS),
            "outbound_.9080_.v1_." + REVIEWS),
        c(
            "ISTIO_MUTUAL with an SNI of its own",
            rule("{tls: {mode: ISTIO_MUTUAL, sni: reviews.internal}}"),
            PP,
            u -> u.tls().mode() == TlsMode.ISTIO_MUTUAL && "reviews.internal".equals(u.tls().sni()),
            "SNI reviews.internal"),
        c(
            "a workloadSelector rule, SIMPLE with SNI: the server verified against the credential's CA",
            selected(
                rule(
                    "{tls: {mode: SIMPLE, sni: reviews.example.com, credentialName: reviews-ca}}")),
            PP,
            u ->
                u.tls().mode() == TlsMode.SIMPLE
                    && u.tls().sni().equals("reviews.example.com")
                    && !u.tls().autoSni()
                    && u.tls().certificate() == null
                    && u.tls().trustedCa().equals("kubernetes://reviews-ca-cacert")
                    && !u.tlsPerEndpoint(),
            "SIMPLE, SNI reviews.example.com, no client certificate"),
        c(
            "a workloadSelector rule, SIMPLE without sni: the SNI from the Host, the certificate must name it",
            selected(rule("{tls: {mode: SIMPLE, credentialName: reviews-ca}}")),
            PP,
            u ->
                u.tls().mode() == TlsMode.SIMPLE
                    && u.tls().sni() == null
                    && u.tls().autoSni()
                    && u.tls().autoSanValidation(),
            "auto SNI, auto SAN validation"),
        c(
            "a workloadSelector rule, SIMPLE without sni, subjectAltNames given: auto SNI only",
            selected(
                rule(
                    "{tls: {mode: SIMPLE, credentialName: reviews-ca,"
                        + " subjectAltNames: [reviews.example.com]}}")),
            PP,
            u -> u.tls().autoSni() && !u.tls().autoSanValidation(),
            "auto SNI, no auto SAN validation"),
        c(
            "a workloadSelector rule, MUTUAL with a credential: the client certificate from the secret",
            selected(
                rule(
                    "{tls: {mode: MUTUAL, sni: reviews.example.com, credentialName:"
                        + " reviews-client}}")),
            PP,
            u ->
                u.tls().mode() == TlsMode.MUTUAL
                    && u.tls().certificate().equals("kubernetes://reviews-client")
                    && u.tls().trustedCa().equals("kubernetes://reviews-client-cacert"),
            "MUTUAL with kubernetes://reviews-client"),
        c(
            "DISABLE: plaintext to every endpoint, even the one with a sidecar",
            rule("{tls: {mode: DISABLE}}"),
            PP,
            u ->
                !u.tlsPerEndpoint()
                    && u.endpoints().stream().allMatch(e -> e.tls().mode() == TlsMode.PLAINTEXT),
            "plaintext everywhere"),
        c(
            "a tls block without mode is DISABLE, as Istio reads it",
            rule("{tls: {sni: reviews.example.com}}"),
            PP,
            u ->
                !u.tlsPerEndpoint()
                    && u.endpoints().stream().allMatch(e -> e.tls().mode() == TlsMode.PLAINTEXT),
            "plaintext everywhere"),
        c(
            "TLS origination to an external host: SIMPLE with its SNI",
            serviceEntry
                + """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy: {tls: {mode: SIMPLE, sni: api.example.com}}
                """,
            PP,
            u ->
                u.name().equals("outbound|80||api.example.com")
                    && u.type().equals("STRICT_DNS")
                    && u.tls().mode() == TlsMode.SIMPLE
                    && u.tls().sni().equals("api.example.com"),
            "SIMPLE to api.example.com"),
        c(
            "TLS origination to an external host without sni (Istio's egress example): auto SNI",
            serviceEntry
                + """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: api, namespace: default}
                spec:
                  host: api.example.com
                  trafficPolicy:
                    portLevelSettings: [{port: {number: 80}, tls: {mode: SIMPLE}}]
                """,
            PP,
            u -> u.tls().mode() == TlsMode.SIMPLE && u.tls().sni() == null && u.tls().autoSni(),
            "SIMPLE, SNI api.example.com from the Host header"),
        c(
            "an external host without a rule: plaintext",
            serviceEntry,
            PP,
            u -> u.endpoints().stream().allMatch(e -> e.tls().mode() == TlsMode.PLAINTEXT),
            "plaintext"));
  }

  /** An external API with the names its certificate carries. */
  static final String API_WITH_SANS =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: api, namespace: default}
      spec:
        hosts: [api.example.com]
        ports: [{number: 443, name: tls, protocol: TLS}]
        resolution: DNS
        location: MESH_EXTERNAL
        subjectAltNames: [api.example.com]
      ---
      """;

  static String apiRule(String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: api, namespace: default}
        spec:
          host: api.example.com
          trafficPolicy: {tls: %s}
        ---
        """
        .formatted(tls);
  }

  static final String API = "outbound|443||api.example.com";
  static final String CA = "/etc/certs/ca.pem";
  static final String CERT = "/etc/certs/client.pem";
  static final String KEY = "/etc/certs/key.pem";

  static Arguments cluster(
      String name,
      String yaml,
      ProxyNode from,
      String cluster,
      Predicate<Upstream> expect,
      String says) {
    return Arguments.of(name, yaml, from, cluster, expect, says);
  }

  /** Whether every endpoint of the cluster gets the same transport and it passes {@code tls}. */
  static Predicate<Upstream> everyEndpoint(Predicate<Simulation.Tls> tls) {
    return u ->
        !u.tlsPerEndpoint()
            && !u.endpoints().isEmpty()
            && u.endpoints().stream().allMatch(e -> tls.test(e.tls()));
  }

  /**
   * TLS origination settings and how the proxy verifies the server: the roots (a file, the
   * system's, a Secret's), the names the server must carry, the CRL, the client certificate, and
   * the settings a sidecar does not take.
   */
  static Stream<Arguments> verification() {
    ProxyNode gw = SimulationMesh.INGRESS;
    return Stream.of(
        cluster(
            "SIMPLE with caCertificates: the server verified against that file",
            rule("{tls: {mode: SIMPLE, caCertificates: %s}}".formatted(CA)),
            PP,
            ALL,
            everyEndpoint(
                t ->
                    t.mode() == TlsMode.SIMPLE
                        && t.trustedCa().equals("file-root:" + CA)
                        && t.certificate() == null
                        && t.autoSni()
                        && t.autoSanValidation()
                        && !t.systemRoots()),
            "SIMPLE, roots file-root:" + CA + ", the Host is the name checked"),
        cluster(
            "SIMPLE without any CA: the system's roots, as VERIFY_CERTIFICATE_AT_CLIENT",
            rule("{tls: {mode: SIMPLE}}"),
            PP,
            ALL,
            everyEndpoint(
                t -> t.mode() == TlsMode.SIMPLE && t.systemRoots() && !t.skipsVerification()),
            "roots file-root:system"),
        cluster(
            "insecureSkipVerify: TLS without verifying the server",
            rule("{tls: {mode: SIMPLE, insecureSkipVerify: true}}"),
            PP,
            ALL,
            everyEndpoint(
                t ->
                    t.mode() == TlsMode.SIMPLE
                        && t.skipsVerification()
                        && t.sans().isEmpty()
                        && t.autoSni()
                        && !t.autoSanValidation()),
            "no roots, no name check"),
        cluster(
            "subjectAltNames: the server must carry one of them",
            rule(
                "{tls: {mode: SIMPLE, caCertificates: %s, subjectAltNames: [reviews.example.com]}}"
                    .formatted(CA)),
            PP,
            ALL,
            everyEndpoint(
                t ->
                    t.sans().equals(List.of("reviews.example.com"))
                        && t.acceptsServer("reviews.example.com")
                        && !t.acceptsServer("impostor.example.com")
                        && t.autoSni()
                        && !t.autoSanValidation()),
            "reviews.example.com accepted, impostor.example.com refused"),
        cluster(
            "caCrl: the CRL file is checked",
            rule(
                "{tls: {mode: SIMPLE, caCertificates: %s, caCrl: /etc/certs/crl.pem}}"
                    .formatted(CA)),
            PP,
            ALL,
            everyEndpoint(t -> "/etc/certs/crl.pem".equals(t.crl())),
            "CRL /etc/certs/crl.pem"),
        cluster(
            "sni: sent as given, no auto SNI and no auto SAN check",
            rule(
                "{tls: {mode: SIMPLE, caCertificates: %s, sni: reviews.example.com}}"
                    .formatted(CA)),
            PP,
            ALL,
            everyEndpoint(
                t ->
                    "reviews.example.com".equals(t.sni())
                        && !t.autoSni()
                        && !t.autoSanValidation()),
            "SNI reviews.example.com"),
        cluster(
            "MUTUAL from files: the client certificate and key from the proxy's container",
            rule(
                "{tls: {mode: MUTUAL, clientCertificate: %s, privateKey: %s, caCertificates: %s}}"
                    .formatted(CERT, KEY, CA)),
            PP,
            ALL,
            everyEndpoint(
                t ->
                    t.mode() == TlsMode.MUTUAL
                        && t.certificate().equals("file-cert:" + CERT + "~" + KEY)
                        && t.trustedCa().equals("file-root:" + CA)),
            "MUTUAL with file-cert:" + CERT + "~" + KEY),
        cluster(
            "MUTUAL from files without a CA: the system's roots",
            rule(
                "{tls: {mode: MUTUAL, clientCertificate: %s, privateKey: %s}}"
                    .formatted(CERT, KEY)),
            PP,
            ALL,
            everyEndpoint(t -> t.mode() == TlsMode.MUTUAL && t.systemRoots()),
            "MUTUAL, roots file-root:system"),
        cluster(
            "MUTUAL without a client certificate: the rule is refused, no certificate-less MUTUAL",
            rule("{tls: {mode: MUTUAL, caCertificates: %s}}".formatted(CA)),
            PP,
            ALL,
            u ->
                u.tlsPerEndpoint()
                    && u.endpoints().stream()
                        .noneMatch(
                            e ->
                                e.tls().mode() == TlsMode.MUTUAL
                                    || e.tls().mode() == TlsMode.SIMPLE),
            "automatic mutual TLS as without the rule"),
        cluster(
            "credentialName in a rule without workloadSelector: sidecars do not use it (Istio)",
            rule("{tls: {mode: SIMPLE, credentialName: reviews-ca}}"),
            PP,
            ALL,
            everyEndpoint(t -> t.mode() == TlsMode.PLAINTEXT),
            "no TLS origination from the sidecar"),
        cluster(
            "MUTUAL credentialName without workloadSelector: not on sidecars either",
            rule("{tls: {mode: MUTUAL, credentialName: reviews-client}}"),
            PP,
            ALL,
            everyEndpoint(t -> t.mode() == TlsMode.PLAINTEXT && t.certificate() == null),
            "no TLS origination from the sidecar"),
        cluster(
            "credentialName in a workloadSelector rule: not for a sidecar it does not select",
            selected(rule("{tls: {mode: MUTUAL, credentialName: reviews-client}}")),
            SimulationMesh.REVIEWS_V1,
            ALL,
            everyEndpoint(t -> t.mode() == TlsMode.PLAINTEXT && t.certificate() == null),
            "no credential for reviews-v1"),
        cluster(
            "credentialName on the gateway: certificate and CA from the Secret",
            rule("{tls: {mode: MUTUAL, credentialName: reviews-client}}"),
            gw,
            ALL,
            everyEndpoint(
                t ->
                    t.mode() == TlsMode.MUTUAL
                        && t.certificate().equals("kubernetes://reviews-client")
                        && t.trustedCa().equals("kubernetes://reviews-client-cacert")
                        && t.autoSanValidation()),
            "MUTUAL with kubernetes://reviews-client, roots kubernetes://reviews-client-cacert"),
        cluster(
            "credentialName on the gateway with subjectAltNames: the server must carry one",
            rule(
                "{tls: {mode: SIMPLE, credentialName: reviews-ca,"
                    + " subjectAltNames: [reviews.example.com]}}"),
            gw,
            ALL,
            everyEndpoint(
                t ->
                    t.trustedCa().equals("kubernetes://reviews-ca-cacert")
                        && t.acceptsServer("reviews.example.com")
                        && !t.acceptsServer("impostor.example.com")),
            "reviews.example.com only"),
        cluster(
            "credentialName on the gateway with insecureSkipVerify: certificate, no verification",
            rule("{tls: {mode: MUTUAL, credentialName: reviews-client, insecureSkipVerify: true}}"),
            gw,
            ALL,
            everyEndpoint(
                t ->
                    t.certificate().equals("kubernetes://reviews-client")
                        && t.skipsVerification()
                        && !t.autoSanValidation()),
            "client certificate, server not verified"),
        cluster(
            "port-level tls: the port's CA",
            rule(
                "{portLevelSettings: [{port: {number: 9080},"
                    + " tls: {mode: SIMPLE, caCertificates: /etc/certs/port-ca.pem}}]}"),
            PP,
            ALL,
            everyEndpoint(t -> t.trustedCa().equals("file-root:/etc/certs/port-ca.pem")),
            "roots file-root:/etc/certs/port-ca.pem"),
        cluster(
            "subset tls: MUTUAL from files for v1",
            rule(
                "{}",
                "{tls: {mode: MUTUAL, clientCertificate: %s, privateKey: %s}}".formatted(CERT, KEY),
                "{}"),
            PP,
            V1,
            everyEndpoint(t -> t.mode() == TlsMode.MUTUAL && t.systemRoots()),
            "MUTUAL on v1"),
        cluster(
            "subset tls does not reach the other clusters",
            rule(
                "{}",
                "{tls: {mode: MUTUAL, clientCertificate: %s, privateKey: %s}}".formatted(CERT, KEY),
                "{}"),
            PP,
            ALL,
            u -> u.tlsPerEndpoint(),
            "automatic mutual TLS"),
        cluster(
            "a ServiceEntry's subjectAltNames: what SIMPLE checks when the rule names none",
            API_WITH_SANS + apiRule("{mode: SIMPLE}"),
            PP,
            API,
            everyEndpoint(
                t ->
                    t.sans().equals(List.of("api.example.com"))
                        && t.systemRoots()
                        && t.autoSanValidation()
                        && !t.acceptsServer("impostor.example.com")),
            "api.example.com, system roots"),
        cluster(
            "the rule's subjectAltNames over the ServiceEntry's",
            API_WITH_SANS + apiRule("{mode: SIMPLE, subjectAltNames: [edge.example.com]}"),
            PP,
            API,
            everyEndpoint(t -> t.sans().equals(List.of("edge.example.com"))),
            "edge.example.com"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("verification")
  void theClusterVerifiesTheServerAsTheRuleSays(
      String name,
      String yaml,
      ProxyNode from,
      String cluster,
      Predicate<Upstream> expect,
      String says) {
    Upstream u = Simulation.upstream(SimulationMesh.resources(yaml, from), cluster);
    Simulation.expect(name, u, x -> x.error() == null && expect.test(x), says);
  }

  @org.junit.jupiter.api.Test
  void mutualWithoutAClientCertificateIsRefusedWithTheFieldPath() {
    var rejected =
        SimulationMesh.rejected(
            rule("{}", "{portLevelSettings: [{port: {number: 9080}, tls: {mode: MUTUAL}}]}", "{}"));
    org.assertj.core.api.Assertions.assertThat(rejected)
        .containsEntry(
            "DestinationRule default/reviews",
            "spec.subsets[0].trafficPolicy.portLevelSettings[0].tls: client certificate and"
                + " private key (or credentialName) required for mutual tls");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource({"subsets", "policies", "locality", "tlsOrigination"})
  void theClusterFollowsTheDestinationRule(
      String name, String yaml, ProxyNode from, Predicate<Upstream> expect, String says) {
    Call call =
        yaml != null && yaml.contains("api.example.com")
            ? Call.get(80, "api.example.com", "/")
            : Call.get(9080, "reviews", "/");
    Outcome o = Simulation.outbound(SimulationMesh.resources(yaml, from), call);
    SimulationTest.check(name, o, x -> expect.test(x.upstream()), says);
  }
}
