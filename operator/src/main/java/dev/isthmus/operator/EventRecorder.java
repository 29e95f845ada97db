package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.controlplane.server.KubeEvents;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code EventRecorder} records Kubernetes Events on an IstioOperator (install, upgrade, prune,
 * errors).
 */
final class EventRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  static final String COMPONENT = "isthmus-operator";

  private final KubernetesClient client;
  private final Clock clock;

  EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  void normal(IstioOperator iop, String reason, String message) {
    record(iop, "Normal", reason, message);
  }

  void warning(IstioOperator iop, String reason, String message) {
    record(iop, "Warning", reason, message);
  }

  private void record(IstioOperator iop, String type, String reason, String message) {
    String ns = iop.getMetadata().getNamespace();
    ObjectReference involved =
        new ObjectReferenceBuilder()
            .withApiVersion(IstioOperator.API_VERSION)
            .withKind("IstioOperator")
            .withNamespace(ns)
            .withName(iop.getMetadata().getName())
            .withUid(iop.getMetadata().getUid())
            .withResourceVersion(iop.getMetadata().getResourceVersion())
            .build();
    String text = message.length() > 1024 ? message.substring(0, 1021) + "..." : message;
    try {
      client
          .v1()
          .events()
          .inNamespace(ns)
          .resource(KubeEvents.event(involved, type, reason, text, COMPONENT, Instant.now(clock)))
          .create();
    } catch (KubernetesClientException e) {
      LOG.warn(
          "could not record event " + reason + " on " + ns + "/" + iop.getMetadata().getName(), e);
    }
  }
}
