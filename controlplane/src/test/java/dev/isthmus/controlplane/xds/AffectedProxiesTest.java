package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.networking.v1.ServiceEntryBuilder;
import io.fabric8.istio.api.networking.v1.SidecarBuilder;
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
    ClusterState e = ClusterState.empty();
    return new ClusterState(
        services,
        e.endpointSlices(),
        e.pods(),
        e.nodes(),
        List.of(
            new ServiceEntryBuilder()
                .withNewMetadata()
                .withNamespace("ext")
                .withName("api")
                .endMetadata()
                .withNewSpec()
                .withHosts("api.example.com")
                .addNewPort()
                .withName("https")
                .withNumber(443L)
                .withProtocol("TLS")
                .endPort()
                .withResolution(ServiceEntryResolution.DNS)
                .endSpec()
                .build()),
        e.workloadEntries(),
        e.virtualServices(),
        e.destinationRules(),
        e.gateways(),
        List.of(
            new SidecarBuilder()
                .withNewMetadata()
                .withNamespace("scoped")
                .withName("default")
                .endMetadata()
                .withNewSpec()
                .addNewEgress()
                .withHosts("./*")
                .endEgress()
                .endSpec()
                .build()),
        e.peerAuthentications(),
        List.of(),
        List.of());
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
    return Stream.of(
        Arguments.of(ConfigKey.service("default", reviews), "default gateway proxyless"),
        Arguments.of(ConfigKey.service("scoped", db), "default gateway proxyless scoped"),
        Arguments.of(ConfigKey.service("other", gone), "default gateway proxyless"),
        Arguments.of(ConfigKey.service("ext", "api.example.com"), "default gateway proxyless"),
        Arguments.of(
            key(ConfigKey.Kind.VIRTUAL_SERVICE, "default", "r", "reviews"),
            "default gateway proxyless"),
        Arguments.of(
            key(ConfigKey.Kind.VIRTUAL_SERVICE, "scoped", "d", "db"),
            "default gateway proxyless scoped"),
        Arguments.of(
            key(ConfigKey.Kind.VIRTUAL_SERVICE, "ext", "w", "*.example.com"),
            "default gateway proxyless"),
        Arguments.of(
            key(ConfigKey.Kind.VIRTUAL_SERVICE, "default", "g", "shop.example.org"), "gateway"),
        Arguments.of(
            key(ConfigKey.Kind.DESTINATION_RULE, "default", "r", "reviews"),
            "default gateway proxyless"),
        Arguments.of(
            key(ConfigKey.Kind.DESTINATION_RULE, "default", "d", "db.scoped"),
            "default gateway proxyless scoped"),
        Arguments.of(key(ConfigKey.Kind.DESTINATION_RULE, "default", "x", "nothing"), ""),
        Arguments.of(ConfigKey.of(ConfigKey.Kind.GATEWAY, "istio-system", "ingress"), "gateway"),
        Arguments.of(ConfigKey.of(ConfigKey.Kind.SIDECAR, "scoped", "default"), "scoped"),
        Arguments.of(
            ConfigKey.of(ConfigKey.Kind.SIDECAR, "istio-system", "default"),
            "default gateway proxyless scoped"),
        // the namespace's own proxies, and the clients of its services (automatic mutual TLS)
        Arguments.of(
            ConfigKey.of(ConfigKey.Kind.PEER_AUTHENTICATION, "default", "strict"),
            "default gateway proxyless"),
        Arguments.of(
            ConfigKey.of(ConfigKey.Kind.PEER_AUTHENTICATION, "scoped", "strict"),
            "default gateway proxyless scoped"),
        Arguments.of(ConfigKey.of(ConfigKey.Kind.PEER_AUTHENTICATION, "empty", "strict"), ""),
        Arguments.of(
            ConfigKey.of(ConfigKey.Kind.PEER_AUTHENTICATION, "istio-system", "mesh"),
            "default gateway proxyless scoped"),
        Arguments.of(ConfigKey.workload("10.3.0.1"), "scoped"),
        Arguments.of(ConfigKey.workload("10.9.9.9"), ""),
        Arguments.of(
            ConfigKey.of(ConfigKey.Kind.MESH, "", ""), "default gateway proxyless scoped"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("cases")
  void changeConcernsExactlyTheseProxies(ConfigKey change, String expected) {
    AffectedProxies affected = new AffectedProxies(BEFORE, AFTER);
    Set<String> got = new TreeSet<>();
    PROXIES.forEach(
        (name, p) -> {
          if (affected.affects(p, Set.of(change))) {
            got.add(name);
          }
        });

    assertThat(String.join(" ", got)).isEqualTo(expected);
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
    AffectedProxies affected = new AffectedProxies(BEFORE, AFTER);
    ConfigKey change = new ConfigKey(ConfigKey.Kind.SIDECAR, ns, "sc", Set.of(), selectors);
    Set<String> got = new TreeSet<>();
    Map.of("scoped", SCOPED, "db", DB)
        .forEach(
            (name, p) -> {
              if (affected.affects(p, Set.of(change))) {
                got.add(name);
              }
            });

    assertThat(String.join(" ", got)).isEqualTo(expected);
  }

  static Stream<Arguments> policyCases() {
    return Stream.of(
        Arguments.of(ConfigKey.Kind.AUTHORIZATION_POLICY, "scoped", List.of(), "db scoped"),
        Arguments.of(
            ConfigKey.Kind.AUTHORIZATION_POLICY, "scoped", List.of(Map.of("app", "db")), "db"),
        Arguments.of(
            ConfigKey.Kind.AUTHORIZATION_POLICY, "default", List.of(Map.of("app", "db")), ""),
        Arguments.of(ConfigKey.Kind.AUTHORIZATION_POLICY, "istio-system", List.of(), "db scoped"),
        // unlike a Sidecar, a root-namespace policy with a selector reaches every namespace
        Arguments.of(
            ConfigKey.Kind.AUTHORIZATION_POLICY,
            "istio-system",
            List.of(Map.of("app", "db")),
            "db"),
        Arguments.of(
            ConfigKey.Kind.REQUEST_AUTHENTICATION, "scoped", List.of(Map.of("app", "web")), ""),
        Arguments.of(
            ConfigKey.Kind.REQUEST_AUTHENTICATION,
            "istio-system",
            List.of(Map.of("app", "db")),
            "db"));
  }

  @ParameterizedTest(name = "{0} in {1} selecting {2} -> {3}")
  @MethodSource("policyCases")
  void policyChangeConcernsTheWorkloadsItSelectsInItsNamespaceOrTheMesh(
      ConfigKey.Kind kind, String ns, List<Map<String, String>> selectors, String expected) {
    AffectedProxies affected = new AffectedProxies(BEFORE, AFTER);
    ConfigKey change = new ConfigKey(kind, ns, "p", Set.of(), selectors);
    Set<String> got = new TreeSet<>();
    Map.of("scoped", SCOPED, "db", DB)
        .forEach(
            (name, p) -> {
              if (affected.affects(p, Set.of(change))) {
                got.add(name);
              }
            });

    assertThat(String.join(" ", got)).isEqualTo(expected);
  }
}
