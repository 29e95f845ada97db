package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.AuthorizationPolicyBuilder;
import io.fabric8.istio.api.security.v1.RequestAuthenticationBuilder;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which policies apply to which proxy: selectors, namespaces, the root namespace, targetRefs. */
class PolicySelectionTest {
  static final ProxyNode WEB =
      withLabels(Fixtures.sidecar("10.1.0.1", "web-1", "shop"), Map.of("app", "web"));
  static final ProxyNode DB =
      withLabels(Fixtures.sidecar("10.1.0.2", "db-1", "shop"), Map.of("app", "db"));
  static final ProxyNode OTHER =
      withLabels(Fixtures.sidecar("10.2.0.1", "web-1", "other"), Map.of("app", "web"));
  static final ProxyNode GATEWAY =
      withLabels(
          ProxyNode.parse(
              Fixtures.node("router~10.3.0.1~gw-1.shop~shop.svc.cluster.local", Map.of())),
          Map.of(PolicySelection.GATEWAY_NAME_LABEL, "public", "app", "web"));

  static ProxyNode withLabels(ProxyNode p, Map<String, String> labels) {
    return new ProxyNode(p.id(), p.type(), p.ip(), p.podName(), p.namespace(), labels);
  }

  static AuthorizationPolicy policy(String ns, String name, Map<String, String> selector) {
    var b =
        new AuthorizationPolicyBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(name)
            .endMetadata()
            .withNewSpec();
    if (selector != null) {
      b.withNewSelector().withMatchLabels(selector).endSelector();
    }
    return b.endSpec().build();
  }

  static AuthorizationPolicy targeted(String ns, String name, String kind, String target) {
    return new AuthorizationPolicyBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewTargetRef()
        .withGroup(kind.equals("Gateway") ? "gateway.networking.k8s.io" : "")
        .withKind(kind)
        .withName(target)
        .endTargetRef()
        .endSpec()
        .build();
  }

  static final MeshSnapshot MESH =
      Fixtures.build(
          ClusterState.empty()
              .withAuthorizationPolicies(
                  List.of(
                      policy("shop", "ns-wide", null),
                      policy("shop", "web-only", Map.of("app", "web")),
                      policy("other", "elsewhere", null),
                      policy("istio-system", "mesh-wide", null),
                      policy("istio-system", "mesh-db", Map.of("app", "db")),
                      targeted("shop", "gw", "Gateway", "public"),
                      targeted("shop", "svc", "Service", "web"),
                      targeted("other", "gw-elsewhere", "Gateway", "public")))
              .withRequestAuthentications(
                  List.of(
                      new RequestAuthenticationBuilder()
                          .withNewMetadata()
                          .withNamespace("istio-system")
                          .withName("jwt")
                          .endMetadata()
                          .withNewSpec()
                          .withNewSelector()
                          .withMatchLabels(Map.of("app", "web"))
                          .endSelector()
                          .endSpec()
                          .build())));

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(WEB, "mesh-wide ns-wide web-only", "jwt"),
        Arguments.of(DB, "mesh-db mesh-wide ns-wide", ""),
        Arguments.of(OTHER, "elsewhere mesh-wide", "jwt"),
        Arguments.of(GATEWAY, "gw mesh-wide ns-wide web-only", "jwt"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void policiesOfAProxy(ProxyNode proxy, String authz, String authn) {
    assertThat(names(PolicySelection.authorization(MESH, proxy))).isEqualTo(authz);
    assertThat(names(PolicySelection.authentication(MESH, proxy))).isEqualTo(authn);
  }

  private static String names(List<? extends dev.isthmus.controlplane.model.ConfigEntry<?>> l) {
    return String.join(" ", new TreeSet<>(l.stream().map(e -> e.name()).toList()));
  }
}
