package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.generate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.AuthorizationPolicyBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * AuthorizationPolicies reach the inbound side of the proxies they select: an RBAC HTTP filter
 * first in the connection manager of HTTP ports, a network RBAC filter before the TCP proxy of the
 * others and of the passthrough chain, nothing on proxies they do not select.
 */
class AuthorizationPolicyListenerTest {
  static AuthorizationPolicy denyAdmin(Map<String, String> selector) {
    return new AuthorizationPolicyBuilder()
        .withNewMetadata()
        .withNamespace("default")
        .withName("deny-admin")
        .endMetadata()
        .withNewSpec()
        .withAction(io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction.DENY)
        .withNewSelector()
        .withMatchLabels(selector)
        .endSelector()
        .addNewRule()
        .addNewTo()
        .withNewOperation()
        .withPaths("/admin*")
        .endOperation()
        .endTo()
        .endRule()
        .endSpec()
        .build();
  }

  static Listener inbound(List<AuthorizationPolicy> policies) {
    ClusterState s =
        ListenerGenerationTest.with(List.of(), List.of(), List.of(), false)
            .withAuthorizationPolicies(policies);
    ProxyResources r = generate(s, Fixtures.sidecar("10.1.0.9", "productpage", "default"));
    return Generated.listener(r, Names.VIRTUAL_INBOUND);
  }

  static List<String> httpFilters(FilterChain fc) throws Exception {
    List<String> out = new ArrayList<>();
    Generated.hcm(fc).getHttpFiltersList().forEach(f -> out.add(f.getName()));
    return out;
  }

  /** The rules of the RBAC filter, the first HTTP filter of {@code hcm}. */
  static RBAC rbacRules(HttpConnectionManager hcm) throws Exception {
    return hcm.getHttpFilters(0)
        .getTypedConfig()
        .unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)
        .getRules();
  }

  @Test
  void aDenyPolicyGuardsEveryInboundChainOfTheWorkloadItSelects() throws Exception {
    Listener in = inbound(List.of(denyAdmin(Map.of("app", "productpage"))));
    boolean sawHttp = false;
    for (FilterChain fc : in.getFilterChainsList()) {
      if (fc.getName().equals("virtualInbound-catchall-tcp")) {
        assertThat(fc.getFilters(0).getName()).isEqualTo("envoy.filters.network.rbac");
        assertThat(fc.getFilters(fc.getFiltersCount() - 1).getName())
            .isEqualTo("envoy.filters.network.tcp_proxy");
        continue;
      }
      sawHttp = true;
      List<String> filters = httpFilters(fc);
      assertThat(filters.get(0)).as(fc.getName()).isEqualTo("envoy.filters.http.rbac");
      assertThat(filters.get(filters.size() - 1)).isEqualTo("envoy.filters.http.router");
      RBAC rules = rbacRules(Generated.hcm(fc));
      assertThat(rules.getAction()).isEqualTo(RBAC.Action.DENY);
      assertThat(rules.getPoliciesMap()).containsOnlyKeys("ns[default]-policy[deny-admin]-rule[0]");
    }
    assertThat(sawHttp).as("the HTTP port's chains were checked").isTrue();
  }

  @Test
  void aPolicyOfAnotherWorkloadChangesNothing() throws Exception {
    Listener none = inbound(List.of());
    Listener other = inbound(List.of(denyAdmin(Map.of("app", "reviews"))));
    assertThat(other).isEqualTo(none);
    for (FilterChain fc : none.getFilterChainsList()) {
      if (!fc.getName().equals("virtualInbound-catchall-tcp")) {
        assertThat(httpFilters(fc)).doesNotContain("envoy.filters.http.rbac");
      }
    }
  }

  static Listener inboundWithJwt(Map<String, String> keySets) {
    ClusterState s =
        ListenerGenerationTest.with(List.of(), List.of(), List.of(), false)
            .withAuthorizationPolicies(List.of(denyAdmin(Map.of("app", "productpage"))))
            .withRequestAuthentications(
                List.of(
                    new io.fabric8.istio.api.security.v1.RequestAuthenticationBuilder()
                        .withMetadata(Fixtures.meta("default", "jwt"))
                        .withNewSpec()
                        .addNewJwtRule()
                        .withIssuer("https://issuer.example")
                        .withJwksUri("https://issuer.example/jwks")
                        .endJwtRule()
                        .endSpec()
                        .build()));
    var mesh = Fixtures.build(s);
    mesh =
        mesh.withPolicies(
            mesh.policies().withSettings(mesh.policies().settings().withKeySets(keySets)));
    ProxyResources r =
        ResourceGenerator.generate(mesh, Fixtures.sidecar("10.1.0.9", "productpage", "default"));
    return (Listener) r.messages(Resources.V3.LISTENER_TYPE_URL).get(Names.VIRTUAL_INBOUND);
  }

  static String inlineJwks(Listener in) throws Exception {
    for (FilterChain fc : in.getFilterChainsList()) {
      if (fc.getName().equals("virtualInbound-catchall-tcp")) {
        continue;
      }
      var hcm = fc.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
      assertThat(httpFilters(fc).subList(0, 2))
          .as("authentication, then authorization, first")
          .containsExactly("envoy.filters.http.jwt_authn", "envoy.filters.http.rbac");
      var jwt =
          hcm.getHttpFilters(0)
              .getTypedConfig()
              .unpack(
                  io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.class);
      return jwt.getProvidersMap().values().iterator().next().getLocalJwks().getInlineString();
    }
    throw new AssertionError("no HTTP chain");
  }

  @Test
  void aRequestAuthenticationInlinesTheResolvedKeySetOrOneThatFailsEveryToken() throws Exception {
    String keys = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
    assertThat(
            inlineJwks(
                inboundWithJwt(
                    Map.of(
                        dev.isthmus.controlplane.model.SecuritySettings.keySetKey(
                            "https://issuer.example", "https://issuer.example/jwks"),
                        keys))))
        .isEqualTo(keys);
    assertThat(inlineJwks(inboundWithJwt(Map.of())))
        .as("not resolved: fail closed")
        .isEqualTo(dev.isthmus.controlplane.authn.JwksResolver.FAIL_CLOSED_JWKS);
  }

  static AuthorizationPolicy badWhen() {
    // a condition key the webhook refuses, written while it was down
    return new AuthorizationPolicyBuilder()
        .withNewMetadata()
        .withNamespace("default")
        .withName("bad")
        .endMetadata()
        .withNewSpec()
        .withAction(io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction.DENY)
        .withNewSelector()
        .withMatchLabels(Map.of("app", "productpage"))
        .endSelector()
        .addNewRule()
        .addNewWhen()
        .withKey("request.no.such.key")
        .withValues("x")
        .endWhen()
        .endRule()
        .endSpec()
        .build();
  }

  @Test
  void anUntranslatablePolicyNeverBreaksThePushAndIsReportedOncePerVersion() throws Exception {
    Listener in = inbound(List.of(badWhen(), denyAdmin(Map.of("app", "productpage"))));
    FilterChain http =
        in.getFilterChainsList().stream()
            .filter(fc -> !fc.getName().equals("virtualInbound-catchall-tcp"))
            .findFirst()
            .orElseThrow();
    RBAC rules = rbacRules(Generated.hcm(http));
    assertThat(rules.getPoliciesMap())
        .as("the valid policy is enforced; the bad rule is left out")
        .containsOnlyKeys("ns[default]-policy[deny-admin]-rule[0]");

    List<String> counted = new ArrayList<>();
    try (PolicyProblems problems = new PolicyProblems(null, counted::add)) {
      var mesh =
          Fixtures.build(
              ListenerGenerationTest.with(List.of(), List.of(), List.of(), false)
                  .withAuthorizationPolicies(
                      List.of(badWhen(), denyAdmin(Map.of("app", "productpage")))));
      problems.check(mesh.policies());
      problems.check(mesh.policies());
      assertThat(counted).as("one report for one version of one bad policy").hasSize(1);
    }
  }

  static RBAC proxylessServerRules(AuthorizationPolicy policy) throws Exception {
    ProxyNode server =
        ProxyNode.parse(
            Fixtures.node(
                "sidecar~10.1.0.9~productpage-1.default~default.svc.cluster.local",
                Map.of("GENERATOR", "grpc")));
    server =
        new ProxyNode(
            server.id(),
            server.type(),
            server.ip(),
            server.podName(),
            server.namespace(),
            Map.of("app", "productpage"));
    ClusterState s =
        ListenerGenerationTest.with(List.of(), List.of(), List.of(), false)
            .withAuthorizationPolicies(List.of(policy));
    ProxyResources r = generate(s, server);
    Listener l =
        (Listener)
            r.messages(Resources.V3.LISTENER_TYPE_URL)
                .get("xds.istio.io/grpc/lds/inbound/0.0.0.0:9080");
    assertThat(l).as("the server listener of the workload's port").isNotNull();
    var hcm = Generated.hcm(l.getFilterChains(0));
    assertThat(hcm.getHttpFiltersList().get(hcm.getHttpFiltersCount() - 1).getName())
        .isEqualTo("envoy.filters.http.router");
    return rbacRules(hcm);
  }

  @Test
  void aProxylessServerDeniesEverythingRatherThanIgnoreAJwtDenyItCannotCheck() throws Exception {
    RBAC paths = proxylessServerRules(denyAdmin(Map.of("app", "productpage")));
    assertThat(paths.getAction()).isEqualTo(RBAC.Action.DENY);
    assertThat(paths.getPoliciesMap()).containsOnlyKeys("ns[default]-policy[deny-admin]-rule[0]");

    AuthorizationPolicy jwtDeny =
        new AuthorizationPolicyBuilder(denyAdmin(Map.of("app", "productpage")))
            .editSpec()
            .editFirstRule()
            .addNewFrom()
            .withNewSource()
            .withRequestPrincipals("https://issuer.example/bad-user")
            .endSource()
            .endFrom()
            .endRule()
            .endSpec()
            .build();
    RBAC all = proxylessServerRules(jwtDeny);
    assertThat(all.getAction()).as("an ALLOW without policies").isEqualTo(RBAC.Action.ALLOW);
    assertThat(all.getPoliciesMap()).isEmpty();
  }

  @Test
  void aGatewaySelectedByAPolicyEnforcesItOnHttpAndPassthroughListeners() throws Exception {
    var pass = Fixtures.tls(ServerTLSSettingsTLSmode.PASSTHROUGH, null);
    io.fabric8.istio.api.networking.v1.Gateway gw =
        Fixtures.ingressGateway(
            Fixtures.server(80, "http", "HTTP", null, "bookinfo.example.com"),
            Fixtures.server(15443, "tls", "TLS", pass, "*.pass.example.com"));
    io.fabric8.istio.api.networking.v1.VirtualService passthrough =
        Serialization.unmarshal(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: pass, namespace: default}
            spec:
              hosts: [a.pass.example.com]
              gateways: [istio-system/gw]
              tls:
              - match: [{sniHosts: [a.pass.example.com]}]
                route: [{destination: {host: reviews, port: {number: 9080}}}]
            """,
            io.fabric8.istio.api.networking.v1.VirtualService.class);
    AuthorizationPolicy deny =
        new AuthorizationPolicyBuilder(denyAdmin(Map.of("istio", "ingressgateway")))
            .editMetadata()
            .withNamespace("istio-system")
            .endMetadata()
            .build();
    ClusterState s =
        ListenerGenerationTest.with(List.of(passthrough), List.of(gw), List.of(), true)
            .withAuthorizationPolicies(List.of(deny));
    ProxyResources r = generate(s, Fixtures.ingressRouter());
    Listener http = Generated.listener(r, "0.0.0.0_80");
    assertThat(httpFilters(http.getFilterChains(0)).get(0)).isEqualTo("envoy.filters.http.rbac");
    Listener tls = Generated.listener(r, "0.0.0.0_15443");
    assertThat(tls.getFilterChainsList())
        .isNotEmpty()
        .allSatisfy(
            fc -> assertThat(fc.getFilters(0).getName()).isEqualTo("envoy.filters.network.rbac"));
  }
}
