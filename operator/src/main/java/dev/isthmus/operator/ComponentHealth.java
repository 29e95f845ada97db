package dev.isthmus.operator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.translate.ComponentManifest;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ComponentHealth} decides whether a component's workloads finished rolling out: a
 * Deployment is complete when the controller observed its generation and its updated, ready and
 * available replicas reach the desired count ({@code kubectl rollout status} semantics); a
 * DaemonSet when every scheduled node runs an updated, ready pod.
 */
final class ComponentHealth {
  private final KubernetesClient client;

  ComponentHealth(KubernetesClient client) {
    this.client = client;
  }

  /** A component's health: status and, when not healthy, the reasons. */
  record Health(InstallStatus status, List<String> waiting) {}

  Health check(ComponentManifest component, boolean wasHealthy) {
    List<String> waiting = new ArrayList<>();
    for (ObjectNode o : component.objects()) {
      String kind = o.path("kind").asText();
      String ns = o.path("metadata").path("namespace").asText();
      String name = o.path("metadata").path("name").asText();
      if (kind.equals("Deployment")) {
        deployment(
            client.apps().deployments().inNamespace(ns).withName(name).get(), ns, name, waiting);
      } else if (kind.equals("DaemonSet")) {
        daemonSet(
            client.apps().daemonSets().inNamespace(ns).withName(name).get(), ns, name, waiting);
      }
    }
    if (waiting.isEmpty()) {
      return new Health(InstallStatus.HEALTHY, waiting);
    }
    return new Health(wasHealthy ? InstallStatus.UPDATING : InstallStatus.RECONCILING, waiting);
  }

  private static void deployment(Deployment d, String ns, String name, List<String> waiting) {
    if (d == null) {
      waiting.add("Deployment " + ns + "/" + name + " not found");
      return;
    }
    int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    var s = d.getStatus();
    long observed = s == null || s.getObservedGeneration() == null ? 0 : s.getObservedGeneration();
    int updated = s == null || s.getUpdatedReplicas() == null ? 0 : s.getUpdatedReplicas();
    int ready = s == null || s.getReadyReplicas() == null ? 0 : s.getReadyReplicas();
    int available = s == null || s.getAvailableReplicas() == null ? 0 : s.getAvailableReplicas();
    if (observed < d.getMetadata().getGeneration()) {
      waiting.add("Deployment " + ns + "/" + name + ": waiting for the rollout to start");
    } else if (updated < desired || ready < desired || available < desired) {
      waiting.add(
          "Deployment %s/%s: %d of %d updated replicas ready"
              .formatted(ns, name, Math.min(updated, ready), desired));
    }
  }

  private static void daemonSet(DaemonSet d, String ns, String name, List<String> waiting) {
    if (d == null) {
      waiting.add("DaemonSet " + ns + "/" + name + " not found");
      return;
    }
    var s = d.getStatus();
    long observed = s == null || s.getObservedGeneration() == null ? 0 : s.getObservedGeneration();
    int desired =
        s == null || s.getDesiredNumberScheduled() == null ? 0 : s.getDesiredNumberScheduled();
    int updated =
        s == null || s.getUpdatedNumberScheduled() == null ? 0 : s.getUpdatedNumberScheduled();
    int ready = s == null || s.getNumberReady() == null ? 0 : s.getNumberReady();
    if (observed < d.getMetadata().getGeneration()) {
      waiting.add("DaemonSet " + ns + "/" + name + ": waiting for the rollout to start");
    } else if (updated < desired || ready < desired) {
      waiting.add(
          "DaemonSet %s/%s: %d of %d updated pods ready"
              .formatted(ns, name, Math.min(updated, ready), desired));
    }
  }
}
