package dev.isthmus.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import java.util.List;
import java.util.Map;

/**
 * {@code OperatorManifests} renders what installs the operator itself in a cluster: ServiceAccount,
 * the generated ClusterRole ({@link OperatorRbac}), its binding, and the Deployment running {@code
 * isthmus operator} with leader election, health probes on {@code /q/health} and metrics on {@code
 * /q/metrics} (port 8383). The OLM bundle is built from the same objects.
 */
public final class OperatorManifests {
  public static final String NAME = OperatorRbac.NAME;
  public static final String DEFAULT_IMAGE = "isthmus/isthmus-operator:0.1.0";

  private OperatorManifests() {}

  /**
   * The operator's Deployment spec in {@code namespace} running {@code image:tag}, started with
   * {@code --crds=<policy>}.
   */
  public static Deployment deployment(String namespace, String image, CrdPolicy crds) {
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
        .withArgs("operator", "--crds=" + crds.flag())
        .addNewEnv()
        .withName("POD_NAMESPACE")
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath("metadata.namespace")
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
   * ServiceAccount, ClusterRole, ClusterRoleBinding and Deployment, in apply order, for an operator
   * that applies the CRDs itself ({@link CrdPolicy#APPLY}).
   */
  public static List<HasMetadata> all(String namespace, String image) {
    CrdPolicy crds = CrdPolicy.APPLY;
    return List.of(
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
            .withNewRoleRef()
            .withApiGroup("rbac.authorization.k8s.io")
            .withKind("ClusterRole")
            .withName(NAME)
            .endRoleRef()
            .addNewSubject()
            .withKind("ServiceAccount")
            .withName(NAME)
            .withNamespace(namespace)
            .endSubject()
            .build(),
        deployment(namespace, image, crds));
  }
}
