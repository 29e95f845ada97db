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
      assertThat(OperatorRbac.rules())
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
