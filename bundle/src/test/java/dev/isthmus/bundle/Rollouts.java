package dev.isthmus.bundle;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;

/**
 * Test helpers standing in for what the API server alone does not run: namespaces, the Deployment
 * controller.
 */
final class Rollouts {
  static final Duration TIMEOUT = Duration.ofSeconds(90);

  private Rollouts() {}

  static void namespace(KubernetesClient client, String ns) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
  }

  /**
   * Plays the Deployment controller and kubelet: every Deployment of the set reports a completed
   * rollout.
   */
  static void completeRollouts(KubernetesClient client, RenderResult rendered) {
    for (ObjectNode o : rendered.objects()) {
      if (o.path("kind").asText().equals("Deployment")) {
        completeRollout(
            client,
            o.path("metadata").path("namespace").asText(),
            o.path("metadata").path("name").asText());
      }
    }
  }

  static void completeRollout(KubernetesClient client, String ns, String name) {
    var res = client.apps().deployments().inNamespace(ns).withName(name);
    await().atMost(TIMEOUT).until(() -> res.get() != null);
    dev.isthmus.operator.Rollouts.markComplete(client, res.get());
  }
}
