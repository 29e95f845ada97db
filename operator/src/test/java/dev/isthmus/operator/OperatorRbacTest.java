package dev.isthmus.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import org.junit.jupiter.api.Test;

class OperatorRbacTest {
  @Test
  void noWildcards() {
    for (PolicyRule r : OperatorRbac.rules()) {
      assertThat(r.getVerbs()).doesNotContain("*");
      assertThat(r.getResources()).doesNotContain("*");
      assertThat(r.getApiGroups()).doesNotContain("*");
    }
  }

  @Test
  void everyManagedKindCanBeAppliedWatchedAndPruned() {
    for (ManagedKinds.Kind k : ManagedKinds.ALL) {
      var rules =
          ManagedKinds.WATCHED_NAMESPACES_ONLY.contains(k)
              ? OperatorRbac.namespacedRules()
              : OperatorRbac.rules();
      assertThat(rules)
          .as(k.kind())
          .anyMatch(
              r ->
                  r.getApiGroups().contains(k.group())
                      && r.getResources().contains(k.plural())
                      && r.getVerbs()
                          .containsAll(
                              java.util.List.of("get", "list", "watch", "patch", "delete")));
    }
  }

  @Test
  void withExternalCrdsTheOperatorOnlyReadsCrds() {
    var crdRules =
        OperatorRbac.rules(CrdPolicy.EXTERNAL).stream()
            .filter(r -> r.getResources().contains("customresourcedefinitions"))
            .toList();
    assertThat(crdRules).hasSize(1);
    assertThat(crdRules.get(0).getVerbs()).containsExactly("get", "list", "watch");
    assertThat(crdRules.get(0).getResources()).containsExactly("customresourcedefinitions");
    // everything else is the same as when the operator applies the CRDs
    assertThat(OperatorRbac.rules(CrdPolicy.EXTERNAL))
        .filteredOn(r -> !r.getResources().contains("customresourcedefinitions"))
        .containsExactlyInAnyOrderElementsOf(
            OperatorRbac.rules(CrdPolicy.APPLY).stream()
                .filter(r -> !r.getResources().contains("customresourcedefinitions"))
                .toList());
  }

  @Test
  void secretsAreNamespacedOnly() {
    assertThat(OperatorRbac.rules()).noneMatch(r -> r.getResources().contains("secrets"));
    assertThat(OperatorRbac.namespacedRules()).anyMatch(r -> r.getResources().contains("secrets"));
  }

  @Test
  void bindAndEscalateNameWhatTheDefaultAndDemoProfilesRender() {
    // read off translate's golden files profile-default.yaml and profile-demo.yaml
    assertThat(OperatorRbac.renderedRoleNames("ClusterRole"))
        .contains(
            "istio-reader-clusterrole-istio-system",
            "istiod-clusterrole-istio-system",
            "istiod-gateway-controller-istio-system");
    assertThat(OperatorRbac.renderedRoleNames("Role"))
        .contains("istiod", "istio-ingressgateway-sds", "istio-egressgateway-sds");
    assertThat(OperatorRbac.rules())
        .filteredOn(r -> r.getVerbs().contains("bind") || r.getVerbs().contains("escalate"))
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.getResources()).hasSize(1);
              String kind = r.getResources().get(0).equals("roles") ? "Role" : "ClusterRole";
              assertThat(r.getResourceNames()).isEqualTo(OperatorRbac.renderedRoleNames(kind));
            });
  }

  @Test
  void crdPolicyFlag() {
    assertThat(CrdPolicy.parse("external")).isEqualTo(CrdPolicy.EXTERNAL);
    assertThat(CrdPolicy.parse("apply")).isEqualTo(CrdPolicy.APPLY);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CrdPolicy.parse("olm"))
        .hasMessageContaining("--crds: \"olm\" is not one of apply, external");
  }

  @Test
  void statusAndFinalizersOfTheIstioOperator() {
    assertThat(OperatorRbac.rules())
        .anyMatch(r -> r.getResources().contains("istiooperators/status"));
    assertThat(OperatorRbac.rules())
        .anyMatch(r -> r.getResources().contains("istiooperators/finalizers"));
  }
}
