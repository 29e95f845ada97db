package dev.isthmus.operator;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * {@code Rollouts} records a Deployment's rollout as complete, as the Deployment controller and
 * kubelet would once its Pods run: used where Isthmus itself runs the workload (the local runtime)
 * and by tests, since there is no kubelet.
 */
public final class Rollouts {
  private Rollouts() {}

  /** True when the status already reports the current generation fully rolled out. */
  public static boolean complete(Deployment d) {
    int replicas = replicas(d);
    var s = d.getStatus();
    return s != null
        && s.getObservedGeneration() != null
        && s.getObservedGeneration() >= d.getMetadata().getGeneration()
        && s.getUpdatedReplicas() != null
        && s.getUpdatedReplicas() >= replicas
        && s.getReadyReplicas() != null
        && s.getReadyReplicas() >= replicas
        && s.getAvailableReplicas() != null
        && s.getAvailableReplicas() >= replicas;
  }

  /**
   * Writes a completed rollout into the Deployment's status, unless it already says so (no write
   * then).
   */
  public static void markComplete(KubernetesClient client, Deployment d) {
    if (complete(d)) {
      return;
    }
    int replicas = replicas(d);
    d.setStatus(
        new DeploymentStatusBuilder()
            .withObservedGeneration(d.getMetadata().getGeneration())
            .withReplicas(replicas)
            .withUpdatedReplicas(replicas)
            .withReadyReplicas(replicas)
            .withAvailableReplicas(replicas)
            .build());
    client
        .apps()
        .deployments()
        .inNamespace(d.getMetadata().getNamespace())
        .resource(d)
        .updateStatus();
  }

  private static int replicas(Deployment d) {
    return d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
  }
}
