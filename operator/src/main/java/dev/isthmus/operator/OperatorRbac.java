package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code OperatorRbac} generates the operator's ClusterRole from what it really does: the
 * IstioOperator resource and its status/finalizers, every kind in {@link ManagedKinds} (apply,
 * watch, prune), namespaces it creates, events it records and the leader-election Lease. {@code
 * escalate} and {@code bind} on (Cluster)Roles are needed because it installs istiod's RBAC, which
 * grants rights the operator itself does not use. No wildcards.
 */
public final class OperatorRbac {
  public static final String NAME = "isthmus-operator";
  private static final List<String> MANAGE =
      List.of("get", "list", "watch", "create", "update", "patch", "delete");

  private OperatorRbac() {}

  /** The rules when the operator applies the CRDs itself ({@link CrdPolicy#APPLY}). */
  public static List<PolicyRule> rules() {
    return rules(CrdPolicy.APPLY);
  }

  /**
   * The rules, grouped by API group, resources sorted. With {@link CrdPolicy#EXTERNAL} the operator
   * only reads CRDs (to check they are Established), so it holds no right to create, patch or
   * delete them.
   */
  public static List<PolicyRule> rules(CrdPolicy crds) {
    List<PolicyRule> rules = new ArrayList<>();
    rules.add(
        rule(
            IstioOperator.GROUP,
            List.of("istiooperators"),
            List.of("get", "list", "watch", "update", "patch")));
    rules.add(
        rule(
            IstioOperator.GROUP,
            List.of("istiooperators/status"),
            List.of("get", "update", "patch")));
    rules.add(rule(IstioOperator.GROUP, List.of("istiooperators/finalizers"), List.of("update")));
    Map<String, TreeSet<String>> byGroup = new LinkedHashMap<>();
    for (ManagedKinds.Kind k : ManagedKinds.ALL) {
      byGroup.computeIfAbsent(k.group(), g -> new TreeSet<>()).add(k.plural());
    }
    if (crds == CrdPolicy.EXTERNAL) {
      byGroup.get(ManagedKinds.CRD.group()).remove(ManagedKinds.CRD.plural());
    }
    byGroup.forEach(
        (group, resources) -> {
          if (!resources.isEmpty()) {
            rules.add(rule(group, List.copyOf(resources), MANAGE));
          }
        });
    if (crds == CrdPolicy.EXTERNAL) {
      rules.add(
          rule(
              ManagedKinds.CRD.group(),
              List.of(ManagedKinds.CRD.plural()),
              List.of("get", "list", "watch")));
    }
    rules.add(
        rule(
            "rbac.authorization.k8s.io",
            List.of("clusterroles", "roles"),
            List.of("bind", "escalate")));
    rules.add(rule("", List.of("namespaces"), List.of("get", "list", "watch", "create")));
    rules.add(rule("", List.of("events"), List.of("create", "patch")));
    rules.add(rule("coordination.k8s.io", List.of("leases"), List.of("get", "create", "update")));
    return rules;
  }

  /** The operator's ClusterRole. */
  public static ClusterRole clusterRole(CrdPolicy crds) {
    return new ClusterRoleBuilder()
        .withNewMetadata()
        .withName(NAME)
        .addToLabels("app.kubernetes.io/name", NAME)
        .endMetadata()
        .withRules(rules(crds))
        .build();
  }

  private static PolicyRule rule(String group, List<String> resources, List<String> verbs) {
    return new PolicyRuleBuilder()
        .withApiGroups(group)
        .withResources(resources)
        .withVerbs(verbs)
        .build();
  }
}
