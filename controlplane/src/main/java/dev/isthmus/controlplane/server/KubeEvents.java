package dev.isthmus.controlplane.server;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code KubeEvents} records Warning Events of the control plane on the objects they are about.
 * Failing to record is logged, never thrown: an event reports a problem and must not become one.
 */
public final class KubeEvents {
  private static final Logger LOG = LoggerFactory.getLogger(KubeEvents.class);
  private static final int MAX_MESSAGE = 1000;

  private KubeEvents() {}

  /**
   * A Warning Event on {@code involved}, in its namespace.
   *
   * @param component the reporting component ({@code isthmus-citadel}, {@code isthmus-pilot})
   */
  public static void warning(
      KubernetesClient client,
      ObjectReference involved,
      String reason,
      String message,
      String component) {
    String ns = involved.getNamespace();
    String text = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message;
    try {
      client
          .v1()
          .events()
          .inNamespace(ns)
          .resource(event(involved, "Warning", reason, text, component, Instant.now()))
          .create();
    } catch (KubernetesClientException e) {
      LOG.warn(
          "cannot record event {} on {} {}/{}: {}",
          reason,
          involved.getKind(),
          ns,
          involved.getName(),
          e.getMessage());
    }
  }

  /**
   * An Event of {@code type} on {@code involved}, in its namespace, first and last seen {@code
   * now}, reported by {@code component}.
   */
  public static Event event(
      ObjectReference involved,
      String type,
      String reason,
      String message,
      String component,
      Instant now) {
    return new EventBuilder()
        .withNewMetadata()
        .withGenerateName(involved.getName() + ".")
        .withNamespace(involved.getNamespace())
        .endMetadata()
        .withInvolvedObject(involved)
        .withType(type)
        .withReason(reason)
        .withMessage(message)
        .withFirstTimestamp(now.toString())
        .withLastTimestamp(now.toString())
        .withCount(1)
        .withNewSource()
        .withComponent(component)
        .endSource()
        .withReportingComponent(component)
        .build();
  }
}
