package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RiskyChange} announces, before the operator applies a new generation of an installed
 * IstioOperator, the {@link ChangePlan#risks() risks} of its change plan as a Warning Event {@value
 * #REASON} on the IstioOperator (with the plan's summary), so that {@code kubectl describe} shows
 * what the change took away. It only tells: the apply goes ahead.
 */
final class RiskyChange {
  static final String REASON = "RiskyChange";
  private static final Logger LOG = LoggerFactory.getLogger(RiskyChange.class);

  private RiskyChange() {}

  static void announce(
      KubernetesClient client,
      EventRecorder events,
      IstioOperator iop,
      RenderResult rendered,
      Set<String> namespaces) {
    ChangePlan plan;
    try {
      plan = ChangePlan.compute(client, iop, rendered, namespaces);
    } catch (KubernetesClientException e) {
      // the plan is advice; the apply reports its own failures
      LOG.warn("cannot compute the change plan: " + e.getMessage());
      return;
    }
    List<String> risks = plan.risks();
    if (!risks.isEmpty()) {
      events.warning(iop, REASON, plan.summary() + " " + String.join("; ", risks));
    }
  }
}
