package dev.isthmus.translate.render;

import static dev.isthmus.translate.render.K8s.rule;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code Rbac} holds the RBAC rules of the rendered roles, matching what Istio's charts grant so
 * that tools written for Istio keep working.
 */
public final class Rbac {
  private static final List<String> ISTIO_GROUPS =
      List.of(
          "config.istio.io",
          "security.istio.io",
          "networking.istio.io",
          "authentication.istio.io",
          "rbac.istio.io",
          "telemetry.istio.io",
          "extensions.istio.io");
  private static final String[] CRUD = {
    "get", "watch", "list", "update", "patch", "create", "delete"
  };

  private Rbac() {}

  /** Read-only access for multicluster remote secrets (istio-reader). */
  public static List<PolicyRule> readerRules() {
    return List.of(
        rule(ISTIO_GROUPS, List.of("*"), "get", "list", "watch"),
        rule(
            List.of(""),
            List.of(
                "endpoints",
                "pods",
                "services",
                "nodes",
                "replicationcontrollers",
                "namespaces",
                "secrets",
                "configmaps"),
            "get",
            "list",
            "watch"),
        rule(List.of("networking.istio.io"), List.of("workloadentries"), "get", "watch", "list"),
        rule(
            List.of("networking.x-k8s.io", "gateway.networking.k8s.io"),
            List.of("gateways"),
            "get",
            "watch",
            "list"),
        readCrds(),
        rule(List.of("discovery.k8s.io"), List.of("endpointslices"), "get", "list", "watch"),
        rule(
            List.of("multicluster.x-k8s.io"),
            List.of("serviceexports"),
            "get",
            "list",
            "watch",
            "create",
            "delete"),
        rule(List.of("multicluster.x-k8s.io"), List.of("serviceimports"), "get", "list", "watch"),
        rule(List.of("apps"), List.of("replicasets"), "get", "list", "watch"),
        rule(List.of("authentication.k8s.io"), List.of("tokenreviews"), "create"),
        rule(List.of("authorization.k8s.io"), List.of("subjectaccessreviews"), "create"));
  }

  /** Cluster-wide rules of the control plane. */
  public static List<PolicyRule> istiodClusterRules() {
    return List.of(
        rule(
            List.of("admissionregistration.k8s.io"),
            List.of("mutatingwebhookconfigurations"),
            "get",
            "list",
            "watch",
            "update",
            "patch"),
        rule(
            List.of("admissionregistration.k8s.io"),
            List.of("validatingwebhookconfigurations"),
            "get",
            "list",
            "watch",
            "update"),
        rule(ISTIO_GROUPS, List.of("*"), "get", "watch", "list"),
        rule(List.of("networking.istio.io"), List.of("workloadentries"), CRUD),
        rule(
            List.of("networking.istio.io"),
            List.of("workloadentries/status", "serviceentries/status"),
            CRUD),
        rule(List.of("security.istio.io"), List.of("authorizationpolicies/status"), CRUD),
        rule(List.of(""), List.of("services/status"), CRUD),
        readCrds(),
        rule(
            List.of(""),
            List.of("pods", "nodes", "services", "namespaces", "endpoints"),
            "get",
            "list",
            "watch"),
        rule(List.of("discovery.k8s.io"), List.of("endpointslices"), "get", "list", "watch"),
        rule(
            List.of("networking.k8s.io"),
            List.of("ingresses", "ingressclasses"),
            "get",
            "list",
            "watch"),
        rule(List.of("networking.k8s.io"), List.of("ingresses/status"), "*"),
        rule(List.of(""), List.of("configmaps"), "create", "get", "list", "watch", "update"),
        // Warning events: a lost CA Secret written back, an AuthorizationPolicy partly left out
        rule(List.of(""), List.of("events"), "create", "patch"),
        rule(List.of("authentication.k8s.io"), List.of("tokenreviews"), "create"),
        rule(List.of("authorization.k8s.io"), List.of("subjectaccessreviews"), "create"),
        rule(
            List.of("gateway.networking.k8s.io", "gateway.networking.x-k8s.io"),
            List.of("*"),
            "get",
            "watch",
            "list"),
        rule(
            List.of("gateway.networking.x-k8s.io"),
            List.of("xbackendtrafficpolicies/status"),
            "update",
            "patch"),
        rule(
            List.of("gateway.networking.k8s.io"),
            List.of(
                "backendtlspolicies/status",
                "gatewayclasses/status",
                "gateways/status",
                "grpcroutes/status",
                "httproutes/status",
                "referencegrants/status",
                "tcproutes/status",
                "tlsroutes/status",
                "udproutes/status",
                "listenersets/status"),
            "update",
            "patch"),
        rule(
            List.of("gateway.networking.k8s.io"),
            List.of("gatewayclasses"),
            "create",
            "update",
            "patch",
            "delete"),
        rule(
            List.of("inference.networking.k8s.io"),
            List.of("inferencepools"),
            "get",
            "watch",
            "list"),
        rule(
            List.of("inference.networking.k8s.io"),
            List.of("inferencepools/status"),
            "update",
            "patch"),
        rule(List.of(""), List.of("secrets"), "get", "watch", "list"),
        rule(
            List.of("multicluster.x-k8s.io"),
            List.of("serviceexports"),
            "get",
            "watch",
            "list",
            "create",
            "delete"),
        rule(List.of("multicluster.x-k8s.io"), List.of("serviceimports"), "get", "watch", "list"));
  }

  /** Rules the control plane needs to deploy gateways for Gateway API resources. */
  public static List<PolicyRule> gatewayControllerRules() {
    return List.of(
        rule(List.of("apps"), List.of("deployments"), CRUD),
        rule(List.of("autoscaling"), List.of("horizontalpodautoscalers"), CRUD),
        rule(List.of("policy"), List.of("poddisruptionbudgets"), CRUD),
        rule(List.of(""), List.of("services"), CRUD),
        rule(List.of(""), List.of("serviceaccounts"), CRUD));
  }

  /** Namespace rules of the control plane (its own namespace). */
  public static List<PolicyRule> istiodRoleRules() {
    return List.of(
        rule(List.of("networking.istio.io"), List.of("gateways"), "create"),
        rule(List.of(""), List.of("secrets"), "create", "get", "watch", "list", "update", "delete"),
        rule(List.of(""), List.of("configmaps"), "delete"),
        rule(
            List.of("coordination.k8s.io"), List.of("leases"), "get", "update", "patch", "create"));
  }

  /** Gateways read TLS secrets of their namespace (SDS). */
  public static List<PolicyRule> gatewaySdsRules() {
    return List.of(rule(List.of(""), List.of("secrets"), "get", "watch", "list"));
  }

  /** The CNI node agent. */
  public static List<PolicyRule> cniRules() {
    return List.of(
        rule(List.of(""), List.of("pods", "nodes", "namespaces"), "get", "list", "watch"),
        rule(List.of("apps"), List.of("daemonsets"), "get"));
  }

  /** The CNI node agent repairing broken pods. */
  public static List<PolicyRule> cniRepairRules() {
    return List.of(
        rule(List.of(""), List.of("pods"), "watch", "get", "list"),
        rule(List.of(""), List.of("pods"), "delete"),
        rule(List.of(""), List.of("pods/status"), "patch", "update"));
  }

  /** The CNI node agent enrolling pods in ambient mode. */
  public static List<PolicyRule> cniAmbientRules() {
    return List.of(rule(List.of(""), List.of("pods/status"), "patch", "update"));
  }

  /** Reading CRDs: istiod and the gateway controller watch which Istio and Gateway APIs exist. */
  private static PolicyRule readCrds() {
    return rule(
        List.of("apiextensions.k8s.io"),
        List.of("customresourcedefinitions"),
        "get",
        "list",
        "watch");
  }

  /**
   * A ClusterRole per entry of {@code roles} (name to rules), then a ClusterRoleBinding of each to
   * the ServiceAccount {@code namespace/serviceAccount}.
   */
  static List<ObjectNode> boundClusterRoles(
      Map<String, List<PolicyRule>> roles,
      Map<String, String> labels,
      String serviceAccount,
      String namespace) {
    List<ObjectNode> out = new ArrayList<>();
    roles.forEach(
        (name, rules) ->
            out.add(
                K8s.node(
                    new ClusterRoleBuilder()
                        .withMetadata(K8s.meta(name, null, labels))
                        .withRules(rules)
                        .build())));
    roles.forEach(
        (name, rules) ->
            out.add(
                K8s.node(
                    new ClusterRoleBindingBuilder()
                        .withMetadata(K8s.meta(name, null, labels))
                        .withRoleRef(K8s.roleRef("ClusterRole", name))
                        .withSubjects(K8s.sa(serviceAccount, namespace))
                        .build())));
    return out;
  }

  /**
   * A Role {@code namespace/name} with {@code rules}, and a RoleBinding of it to the ServiceAccount
   * {@code namespace/serviceAccount}.
   */
  static List<ObjectNode> boundRole(
      String name,
      String namespace,
      Map<String, String> labels,
      List<PolicyRule> rules,
      String serviceAccount) {
    return List.of(
        K8s.node(
            new RoleBuilder()
                .withMetadata(K8s.meta(name, namespace, labels))
                .withRules(rules)
                .build()),
        K8s.node(
            new RoleBindingBuilder()
                .withMetadata(K8s.meta(name, namespace, labels))
                .withRoleRef(K8s.roleRef("Role", name))
                .withSubjects(K8s.sa(serviceAccount, namespace))
                .build()));
  }
}
