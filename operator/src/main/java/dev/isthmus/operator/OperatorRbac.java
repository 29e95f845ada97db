package dev.isthmus.operator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorSpec;
import dev.isthmus.translate.Profiles;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code OperatorRbac} generates the operator's RBAC from what it really does. Cluster-wide ({@link
 * #rules(CrdPolicy)}): the IstioOperator resource and its status/finalizers, every kind in {@link
 * ManagedKinds} except Secrets (apply, watch, prune), namespaces it creates, and {@code escalate}
 * and {@code bind} on exactly the (Cluster)Roles Isthmus renders ({@link #renderedRoleNames}),
 * because istiod's RBAC grants rights the operator itself does not use. Namespaced ({@link
 * #namespacedRules()}, a Role in the operator's namespace and in each watched namespace): Secrets,
 * the events it records and the leader-election Lease. No wildcards.
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
      if (ManagedKinds.WATCHED_NAMESPACES_ONLY.contains(k)) {
        continue;
      }
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
    // without resourceNames these two verbs would let the operator (and whoever can make it apply
    // something) grant any right in the cluster
    rules.add(
        named(
            rule("rbac.authorization.k8s.io", List.of("clusterroles"), List.of("bind", "escalate")),
            renderedRoleNames("ClusterRole")));
    rules.add(
        named(
            rule("rbac.authorization.k8s.io", List.of("roles"), List.of("bind", "escalate")),
            renderedRoleNames("Role")));
    rules.add(rule("", List.of("namespaces"), List.of("get", "list", "watch", "create")));
    return rules;
  }

  /**
   * The rules the operator needs only in its own namespace (the leader-election Lease) and in the
   * namespaces it watches (Secrets it renders or prunes there, events on IstioOperators): granted
   * by a Role in each of them, or by OLM from the CSV's {@code permissions}.
   */
  public static List<PolicyRule> namespacedRules() {
    return List.of(
        rule(ManagedKinds.SECRET.group(), List.of(ManagedKinds.SECRET.plural()), MANAGE),
        rule("", List.of("events"), List.of("create", "patch")),
        rule("coordination.k8s.io", List.of("leases"), List.of("get", "create", "update")));
  }

  /**
   * The names of the objects of {@code kind} ({@code ClusterRole} or {@code Role}) that the
   * built-in profiles render for the default revision in {@code istio-system}, sorted: what the
   * operator may bind and escalate. Another control plane namespace or a revision renders other
   * names, which an administrator adds to the operator's ClusterRole.
   */
  public static List<String> renderedRoleNames(String kind) {
    return ROLE_NAMES.get(kind);
  }

  private static final Map<String, List<String>> ROLE_NAMES = renderRoleNames();

  private static Map<String, List<String>> renderRoleNames() {
    Map<String, TreeSet<String>> names = new LinkedHashMap<>();
    names.put("ClusterRole", new TreeSet<>());
    names.put("Role", new TreeSet<>());
    for (String profile : Profiles.NAMES) {
      IstioOperator iop = new IstioOperator();
      iop.setMetadata(
          new ObjectMetaBuilder()
              .withName("installed-state")
              .withNamespace(WatchedNamespaces.DEFAULT)
              .build());
      iop.setSpec(new IstioOperatorSpec());
      iop.getSpec().profile = profile;
      for (ObjectNode o : Translator.render(iop).objects()) {
        TreeSet<String> set = names.get(o.path("kind").asText());
        if (set != null && "rbac.authorization.k8s.io/v1".equals(o.path("apiVersion").asText())) {
          set.add(o.path("metadata").path("name").asText());
        }
      }
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    names.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }

  private static PolicyRule named(PolicyRule rule, List<String> names) {
    rule.setResourceNames(names);
    return rule;
  }

  /** The operator's Role in one namespace (its own, or a watched one). */
  public static Role role(String namespace) {
    return new RoleBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .addToLabels("app.kubernetes.io/name", NAME)
        .endMetadata()
        .withRules(namespacedRules())
        .build();
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
