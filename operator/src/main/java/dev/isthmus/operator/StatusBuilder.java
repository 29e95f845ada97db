package dev.isthmus.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isthmus.api.v1alpha1.ComponentStatus;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperatorStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code StatusBuilder} builds the IstioOperator status — Istio's legacy {@code status}/{@code
 * componentStatus}/{@code message} and the {@code Ready}/{@code Reconciled} conditions — keeping
 * each condition's lastTransitionTime while its status does not change, so that an unchanged
 * installation produces an identical status (and no write).
 */
final class StatusBuilder {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Clock clock;

  StatusBuilder(Clock clock) {
    this.clock = clock;
  }

  /** Status after a successful apply, from each component's health. */
  IstioOperatorStatus applied(
      IstioOperatorStatus previous,
      long generation,
      Map<String, ComponentHealth.Health> health,
      String version,
      List<String> notes) {
    IstioOperatorStatus s = new IstioOperatorStatus();
    s.componentStatus = new TreeMap<>();
    InstallStatus overall = InstallStatus.NONE;
    List<String> waiting = new ArrayList<>();
    for (Map.Entry<String, ComponentHealth.Health> e : health.entrySet()) {
      InstallStatus cs = e.getValue().status();
      s.componentStatus.put(
          e.getKey(),
          new ComponentStatus(
              version,
              cs,
              cs == InstallStatus.HEALTHY ? null : String.join("; ", e.getValue().waiting())));
      overall = InstallStatus.worst(overall, cs);
      waiting.addAll(e.getValue().waiting());
    }
    if (health.isEmpty()) {
      overall = InstallStatus.HEALTHY;
    }
    s.status = overall;
    List<String> message = new ArrayList<>(waiting);
    message.addAll(notes);
    s.message = message.isEmpty() ? null : String.join("; ", message);
    s.observedGeneration = generation;
    boolean ready = overall == InstallStatus.HEALTHY;
    s.conditions =
        List.of(
            condition(
                previous,
                IstioOperatorStatus.CONDITION_READY,
                ready,
                ready ? "Healthy" : "ComponentsNotReady",
                ready ? "All components are healthy" : String.join("; ", waiting),
                generation),
            condition(
                previous,
                IstioOperatorStatus.CONDITION_RECONCILED,
                true,
                "Applied",
                "Rendered objects applied",
                generation));
    return s;
  }

  /**
   * Status when the spec is rejected or applying failed: ERROR with the messages; the installed
   * components keep the status they had, since nothing was changed.
   */
  IstioOperatorStatus failed(
      IstioOperatorStatus previous, long generation, String reason, List<String> errors) {
    IstioOperatorStatus s = new IstioOperatorStatus();
    s.status = InstallStatus.ERROR;
    s.message = String.join("; ", errors);
    s.componentStatus =
        previous == null || previous.componentStatus == null
            ? null
            : new LinkedHashMap<>(previous.componentStatus);
    s.observedGeneration = generation;
    // Ready=False for this generation: GitOps tools (Flux's kstatus, Argo CD) must not call a
    // rejected spec current
    List<Condition> conditions = new ArrayList<>();
    conditions.add(
        condition(
            previous, IstioOperatorStatus.CONDITION_READY, false, reason, s.message, generation));
    conditions.add(
        condition(
            previous,
            IstioOperatorStatus.CONDITION_RECONCILED,
            false,
            reason,
            s.message,
            generation));
    s.conditions = conditions;
    return s;
  }

  /** True when the two statuses differ in any field. */
  static boolean changed(IstioOperatorStatus a, IstioOperatorStatus b) {
    return !JSON.valueToTree(a == null ? new IstioOperatorStatus() : a)
        .equals(JSON.valueToTree(b == null ? new IstioOperatorStatus() : b));
  }

  private Condition condition(
      IstioOperatorStatus previous,
      String type,
      boolean ok,
      String reason,
      String message,
      long generation) {
    String status = ok ? "True" : "False";
    String since = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    if (previous != null && previous.conditions != null) {
      for (Condition c : previous.conditions) {
        if (type.equals(c.getType())
            && status.equals(c.getStatus())
            && c.getLastTransitionTime() != null) {
          since = c.getLastTransitionTime();
        }
      }
    }
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message == null ? "" : message)
        .withObservedGeneration(generation)
        .withLastTransitionTime(since)
        .build();
  }
}
