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
  void statusAndFinalizersOfTheIstioOperator() {
    assertThat(OperatorRbac.rules())
        .anyMatch(r -> r.getResources().contains("istiooperators/status"));
    assertThat(OperatorRbac.rules())
        .anyMatch(r -> r.getResources().contains("istiooperators/finalizers"));
  }
}
