package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code KindOrder} sorts a component's objects into apply order: CRDs, Namespaces,
 * ServiceAccounts, ClusterRoles, ClusterRoleBindings, Roles, RoleBindings, ConfigMaps, workloads,
 * HPAs, PDBs, Services, then webhook configurations.
 */
public final class KindOrder {
  private static final List<String> ORDER =
      List.of(
          "CustomResourceDefinition",
          "Namespace",
          "ServiceAccount",
          "ClusterRole",
          "ClusterRoleBinding",
          "Role",
          "RoleBinding",
          "ConfigMap",
          "Secret",
          "NetworkPolicy",
          "ResourceQuota",
          "Deployment",
          "DaemonSet",
          "HorizontalPodAutoscaler",
          "PodDisruptionBudget",
          "Service",
          "MutatingWebhookConfiguration",
          "ValidatingWebhookConfiguration");

  private KindOrder() {}

  /** Rank of a kind; unknown kinds go just before webhooks. */
  public static int rank(String kind) {
    int i = ORDER.indexOf(kind);
    return i < 0 ? ORDER.indexOf("MutatingWebhookConfiguration") : i;
  }

  /** A stably sorted copy of {@code objects} (same kind keeps its render order). */
  public static List<ObjectNode> sort(List<ObjectNode> objects) {
    List<ObjectNode> out = new ArrayList<>(objects);
    out.sort(Comparator.comparingInt(o -> rank(o.path("kind").asText())));
    return out;
  }
}
