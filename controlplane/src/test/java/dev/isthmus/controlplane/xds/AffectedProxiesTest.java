package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.model.ConfigKey.Kind.AUTHORIZATION_POLICY;
import static dev.isthmus.controlplane.model.ConfigKey.Kind.DESTINATION_RULE;
import static dev.isthmus.controlplane.model.ConfigKey.Kind.MESH;
import static dev.isthmus.controlplane.model.ConfigKey.Kind.PEER_AUTHENTICATION;
import static dev.isthmus.controlplane.model.ConfigKey.Kind.REQUEST_AUTHENTICATION;
import static dev.isthmus.controlplane.model.ConfigKey.Kind.SIDECAR;
import static dev.isthmus.controlplane.model.ConfigKey.Kind.VIRTUAL_SERVICE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which proxies a configuration change concerns. The mesh: services reviews and ratings in {@code
 * default}, db in {@code scoped} (whose Sidecar limits egress to its own namespace), gone in {@code
 * other} (deleted by the change), ServiceEntry host api.example.com in {@code ext}. The proxies: a
 * sidecar and a proxyless client in {@code default}, a sidecar in {@code scoped}, a gateway in
 * {@code istio-system}.
 */
class AffectedProxiesTest {
  static final ProxyNode DEFAULT = Fixtures.sidecar("10.1.0.9", "productpage", "default");
  static final ProxyNode PROXYLESS = Fixtures.proxyless("default");
  static final ProxyNode SCOPED = Fixtures.sidecar("10.3.0.1", "app", "scoped");
  static final ProxyNode GATEWAY =
      ProxyNode.parse(
          Fixtures.node(
              "router~10.4.0.1~ingress.istio-system~istio-system.svc.cluster.local", Map.of()));
  static final Map<String, ProxyNode> PROXIES =
      Map.of("default", DEFAULT, "proxyless", PROXYLESS, "scoped", SCOPED, "gateway", GATEWAY);

  static ClusterState mesh(boolean withGone) {
    var services =
        new java.util.ArrayList<>(
            List.of(
                Fixtures.service("default", "reviews", "http", 9080, 9080),
                Fixtures.service("default", "ratings", "http", 9080, 9080),
                Fixtures.service("scoped", "db", "tcp", 5432, 5432)));
    if (withGone) {
      services.add(Fixtures.service("other", "gone", "http", 80, 80));
    }
    return ClusterState.empty()
        .withServices(services)
        .withServiceEntries(List.of(Fixtures.apiServiceEntry(ServiceEntryResolution.DNS).build()))
        .withSidecars(List.of(Fixtures.ownNamespaceOnly("scoped")));
  }

  static final MeshSnapshot BEFORE = Fixtures.build(mesh(true));
  static final MeshSnapshot AFTER = Fixtures.build(mesh(false));

  static ConfigKey key(ConfigKey.Kind kind, String ns, String name, String... hosts) {
    return new ConfigKey(kind, ns, name, Set.of(hosts));
  }

  static Stream<Arguments> cases() {
    String reviews = "reviews.default.svc.cluster.local";
    String db = "db.scoped.svc.cluster.local";
    String gone = "gone.other.svc.cluster.local";
    String all = "default gateway proxyless scoped";
    String sidecars = "default gateway proxyless";
    return Stream.of(
        Arguments.of(ConfigKey.service("default", reviews), sidecars),
        Arguments.of(ConfigKey.service("scoped", db), all),
        Arguments.of(ConfigKey.service("other", gone), sidecars),
        Arguments.of(ConfigKey.service("ext", "api.example.com"), sidecars),
        Arguments.of(key(VIRTUAL_SERVICE, "default", "r", "reviews"), sidecars),
        Arguments.of(key(VIRTUAL_SERVICE, "scoped", "d", "db"), all),
        Arguments.of(key(VIRTUAL_SERVICE, "ext", "w", "*.example.com"), sidecars),
        Arguments.of(key(VIRTUAL_SERVICE, "default", "g", "shop.example.org"), "gateway"),
        Arguments.of(key(DESTINATION_RULE, "default", "r", "reviews"), sidecars),
        Arguments.of(key(DESTINATION_RULE, "default", "d", "db.scoped"), all),
        Arguments.of(key(DESTINATION_RULE, "default", "x", "nothing"), ""),
        Arguments.of(ConfigKey.of(ConfigKey.Kind.GATEWAY, "istio-system", "ingress"), "gateway"),
        Arguments.of(ConfigKey.of(SIDECAR, "scoped", "default"), "scoped"),
        Arguments.of(ConfigKey.of(SIDECAR, "istio-system", "default"), all),
        // the namespace's own proxies, and the clients of its services (automatic mutual TLS)
        Arguments.of(ConfigKey.of(PEER_AUTHENTICATION, "default", "strict"), sidecars),
        Arguments.of(ConfigKey.of(PEER_AUTHENTICATION, "scoped", "strict"), all),
        Arguments.of(ConfigKey.of(PEER_AUTHENTICATION, "empty", "strict"), ""),
        Arguments.of(ConfigKey.of(PEER_AUTHENTICATION, "istio-system", "mesh"), all),
        Arguments.of(ConfigKey.workload("10.3.0.1"), "scoped"),
        Arguments.of(ConfigKey.workload("10.9.9.9"), ""),
        Arguments.of(ConfigKey.of(MESH, "", ""), all));
  }

  /** The names of the {@code proxies} that {@code change} concerns, sorted, space-separated. */
  static String affected(Map<String, ProxyNode> proxies, ConfigKey change) {
    AffectedProxies affected = new AffectedProxies(BEFORE, AFTER);
    Set<String> got = new TreeSet<>();
    proxies.forEach(
        (name, p) -> {
          if (affected.affects(p, Set.of(change))) {
            got.add(name);
          }
        });
    return String.join(" ", got);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("cases")
  void changeConcernsExactlyTheseProxies(ConfigKey change, String expected) {
    assertThat(affected(PROXIES, change)).isEqualTo(expected);
  }

  static final ProxyNode DB =
      new ProxyNode(
          "sidecar~10.3.0.2~db-1.scoped~scoped.svc.cluster.local",
          ProxyNode.Type.SIDECAR,
          "10.3.0.2",
          "db-1",
          "scoped",
          Map.of("app", "db"));

  static Stream<Arguments> sidecarCases() {
    return Stream.of(
        Arguments.of("scoped", List.of(), "db scoped"),
        Arguments.of("scoped", List.of(Map.of("app", "db")), "db"),
        Arguments.of("scoped", List.of(Map.of("app", "web"), Map.of("app", "db")), "db"),
        Arguments.of("scoped", List.of(Map.of("app", "web")), ""),
        Arguments.of("default", List.of(Map.of("app", "db")), ""),
        Arguments.of("istio-system", List.of(), "db scoped"),
        Arguments.of("istio-system", List.of(Map.of("app", "db")), ""));
  }

  @ParameterizedTest(name = "Sidecar in {0} selecting {1} -> {2}")
  @MethodSource("sidecarCases")
  void sidecarChangeConcernsOnlyTheWorkloadsItSelects(
      String ns, List<Map<String, String>> selectors, String expected) {
    ConfigKey change = new ConfigKey(SIDECAR, ns, "sc", Set.of(), selectors);
    assertThat(affected(Map.of("scoped", SCOPED, "db", DB), change)).isEqualTo(expected);
  }

  static Stream<Arguments> policyCases() {
    List<Map<String, String>> db = List.of(Map.of("app", "db"));
    return Stream.of(
        Arguments.of(AUTHORIZATION_POLICY, "scoped", List.of(), "db scoped"),
        Arguments.of(AUTHORIZATION_POLICY, "scoped", db, "db"),
        Arguments.of(AUTHORIZATION_POLICY, "default", db, ""),
        Arguments.of(AUTHORIZATION_POLICY, "istio-system", List.of(), "db scoped"),
        // unlike a Sidecar, a root-namespace policy with a selector reaches every namespace
        Arguments.of(AUTHORIZATION_POLICY, "istio-system", db, "db"),
        Arguments.of(REQUEST_AUTHENTICATION, "scoped", List.of(Map.of("app", "web")), ""),
        Arguments.of(REQUEST_AUTHENTICATION, "istio-system", db, "db"));
  }

  @ParameterizedTest(name = "{0} in {1} selecting {2} -> {3}")
  @MethodSource("policyCases")
  void policyChangeConcernsTheWorkloadsItSelectsInItsNamespaceOrTheMesh(
      ConfigKey.Kind kind, String ns, List<Map<String, String>> selectors, String expected) {
    ConfigKey change = new ConfigKey(kind, ns, "p", Set.of(), selectors);
    assertThat(affected(Map.of("scoped", SCOPED, "db", DB), change)).isEqualTo(expected);
  }
}
