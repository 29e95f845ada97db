package dev.isthmus.operator;

import java.util.List;

/**
 * {@code ManagedKinds} is the table of object kinds the operator applies, watches, prunes and
 * uninstalls, and from which its RBAC rules are generated. Order is the uninstall order (workloads
 * and webhooks before RBAC and config).
 */
public final class ManagedKinds {
  /** One kind of object the operator manages. */
  public record Kind(String group, String version, String kind, String plural, boolean namespaced) {
    /** {@code group/version}, or {@code version} for the core group. */
    public String apiVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }
  }

  public static final Kind CRD =
      new Kind(
          "apiextensions.k8s.io",
          "v1",
          "CustomResourceDefinition",
          "customresourcedefinitions",
          false);

  public static final Kind SECRET = new Kind("", "v1", "Secret", "secrets", true);

  /**
   * Kinds the operator reads and writes only in the namespaces it watches: its rights on them are
   * namespaced Roles there ({@link OperatorRbac#namespacedRules()}), not cluster-wide.
   */
  public static final java.util.Set<Kind> WATCHED_NAMESPACES_ONLY = java.util.Set.of(SECRET);

  public static final List<Kind> ALL =
      List.of(
          new Kind(
              "admissionregistration.k8s.io",
              "v1",
              "MutatingWebhookConfiguration",
              "mutatingwebhookconfigurations",
              false),
          new Kind(
              "admissionregistration.k8s.io",
              "v1",
              "ValidatingWebhookConfiguration",
              "validatingwebhookconfigurations",
              false),
          new Kind("apps", "v1", "Deployment", "deployments", true),
          new Kind("apps", "v1", "DaemonSet", "daemonsets", true),
          new Kind(
              "autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true),
          new Kind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true),
          new Kind("", "v1", "Service", "services", true),
          new Kind("", "v1", "ConfigMap", "configmaps", true),
          new Kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true),
          new Kind("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
          new Kind(
              "rbac.authorization.k8s.io",
              "v1",
              "ClusterRoleBinding",
              "clusterrolebindings",
              false),
          new Kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false),
          new Kind("", "v1", "ServiceAccount", "serviceaccounts", true),
          new Kind("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true),
          SECRET,
          CRD);

  private ManagedKinds() {}

  /** The entry for an apiVersion/kind, if managed. */
  public static java.util.Optional<Kind> of(String apiVersion, String kind) {
    return ALL.stream()
        .filter(k -> k.apiVersion().equals(apiVersion) && k.kind().equals(kind))
        .findFirst();
  }
}
