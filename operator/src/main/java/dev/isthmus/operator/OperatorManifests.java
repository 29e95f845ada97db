package dev.isthmus.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code OperatorManifests} renders what installs the operator itself in a cluster: ServiceAccount,
 * the generated ClusterRole ({@link OperatorRbac}), its binding, a Role and RoleBinding in the
 * operator's namespace and in each watched namespace, and the Deployment running {@code isthmus
 * operator} with leader election, health probes on {@code /q/health} and metrics on {@code
 * /q/metrics} (port 8383). The OLM bundle is built from the same objects.
 */
public final class OperatorManifests {
  public static final String NAME = OperatorRbac.NAME;
  public static final String DEFAULT_IMAGE = "isthmus/isthmus-operator:0.1.0";

  private OperatorManifests() {}

  /**
   * The operator's Deployment spec in {@code namespace} running {@code image:tag}, started with
   * {@code --crds=<policy>} and no {@code --namespaces}: it watches OLM's target namespaces ({@code
   * WATCH_NAMESPACE}, from the pod's {@code olm.targetNamespaces} annotation) or else its own.
   */
  public static Deployment deployment(String namespace, String image, CrdPolicy crds) {
    return deployment(namespace, image, crds, Set.of());
  }

  /**
   * The operator's Deployment, watching {@code watched} ({@code --namespaces}), or as {@link
   * #deployment(String, String, CrdPolicy)} when {@code watched} is empty.
   */
  public static Deployment deployment(
      String namespace, String image, CrdPolicy crds, Set<String> watched) {
    List<String> args = new ArrayList<>(List.of("operator", "--crds=" + crds.flag()));
    if (!watched.isEmpty()) {
      args.add("--namespaces");
      args.add(String.join(",", new TreeSet<>(watched)));
    }
    Map<String, String> labels = Map.of("app.kubernetes.io/name", NAME);
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withNewSelector()
        .withMatchLabels(labels)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(NAME)
        .addNewContainer()
        .withName("operator")
        .withImage(image)
        .withArgs(args)
        .addNewEnv()
        .withName(WatchedNamespaces.POD_NAMESPACE)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath("metadata.namespace")
        .endFieldRef()
        .endValueFrom()
        .endEnv()
        .addNewEnv()
        .withName(WatchedNamespaces.WATCH_NAMESPACE)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath("metadata.annotations['olm.targetNamespaces']")
        .endFieldRef()
        .endValueFrom()
        .endEnv()
        .addNewPort()
        .withName("http-metrics")
        .withContainerPort(8383)
        .withProtocol("TCP")
        .endPort()
        .withNewLivenessProbe()
        .withNewHttpGet()
        .withPath("/q/health/live")
        .withPort(new IntOrString(8383))
        .endHttpGet()
        .withInitialDelaySeconds(5)
        .endLivenessProbe()
        .withNewReadinessProbe()
        .withNewHttpGet()
        .withPath("/q/health/ready")
        .withPort(new IntOrString(8383))
        .endHttpGet()
        .withInitialDelaySeconds(5)
        .endReadinessProbe()
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("256Mi")))
        .withLimits(Map.of("memory", new Quantity("1Gi")))
        .endResources()
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withAllowPrivilegeEscalation(false)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * The objects of {@link #all(String, String, Set)} for an operator watching {@value
   * WatchedNamespaces#DEFAULT}.
   */
  public static List<HasMetadata> all(String namespace, String image) {
    return all(namespace, image, Set.of(WatchedNamespaces.DEFAULT));
  }

  /**
   * ServiceAccount, ClusterRole, ClusterRoleBinding, a Role and RoleBinding in {@code namespace}
   * and in each of {@code watched}, and the Deployment, in apply order, for an operator in {@code
   * namespace} that applies the CRDs itself ({@link CrdPolicy#APPLY}) and reconciles the
   * IstioOperators of {@code watched}.
   */
  public static List<HasMetadata> all(String namespace, String image, Set<String> watched) {
    CrdPolicy crds = CrdPolicy.APPLY;
    Set<String> roleNamespaces = new TreeSet<>(watched);
    roleNamespaces.add(namespace);
    Subject operator =
        new SubjectBuilder()
            .withKind("ServiceAccount")
            .withName(NAME)
            .withNamespace(namespace)
            .build();
    List<HasMetadata> out = new ArrayList<>();
    out.addAll(
        List.of(
            new ServiceAccountBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withNamespace(namespace)
                .endMetadata()
                .build(),
            OperatorRbac.clusterRole(crds),
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(NAME)
                .endMetadata()
                .withRoleRef(new RoleRef("rbac.authorization.k8s.io", "ClusterRole", NAME))
                .withSubjects(operator)
                .build()));
    for (String ns : roleNamespaces) {
      out.add(OperatorRbac.role(ns));
      out.add(
          new RoleBindingBuilder()
              .withNewMetadata()
              .withName(NAME)
              .withNamespace(ns)
              .endMetadata()
              .withRoleRef(new RoleRef("rbac.authorization.k8s.io", "Role", NAME))
              .withSubjects(operator)
              .build());
    }
    out.add(deployment(namespace, image, crds, watched));
    return out;
  }
}
