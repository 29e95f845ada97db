package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.server.KubeEvents;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CaEvents} records core/v1 Events about the CA's Secrets in the control plane's namespace,
 * where {@code kubectl get events} and alerting on Warning events find them.
 */
final class CaEvents {
  static final String COMPONENT = "isthmus-citadel";

  private static final Logger LOG = LoggerFactory.getLogger(CaEvents.class);

  private final KubernetesClient client;
  private final String namespace;

  CaEvents(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /**
   * A Warning Event on Secret {@code name}; {@code secret} is the object as it is now (for its
   * uid), or null when it does not exist. Failing to record is logged, never thrown: the event
   * reports a problem and must not become one.
   */
  void warning(String name, Secret secret, String reason, String message) {
    KubeEvents.warning(
        client,
        new ObjectReferenceBuilder()
            .withApiVersion("v1")
            .withKind("Secret")
            .withNamespace(namespace)
            .withName(name)
            .withUid(secret == null ? null : secret.getMetadata().getUid())
            .withResourceVersion(secret == null ? null : secret.getMetadata().getResourceVersion())
            .build(),
        reason,
        message,
        COMPONENT);
  }
}
