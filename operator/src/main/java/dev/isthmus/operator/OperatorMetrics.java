package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code OperatorMetrics}: reconcile durations by outcome, objects applied and pruned, and one
 * gauge per IstioOperator component holding its status ordinal (NONE=0 … ACTION_REQUIRED=5, as
 * Istio numbers them).
 */
final class OperatorMetrics {
  private final MeterRegistry registry;
  private final Map<String, AtomicInteger> componentGauges = new ConcurrentHashMap<>();

  OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  Timer.Sample start() {
    return Timer.start(registry);
  }

  void reconciled(Timer.Sample sample, String outcome) {
    sample.stop(
        Timer.builder("isthmus_reconcile_duration").tag("outcome", outcome).register(registry));
    Counter.builder("isthmus_reconciles").tag("outcome", outcome).register(registry).increment();
  }

  void applied(int objects) {
    Counter.builder("isthmus_objects_applied").register(registry).increment(objects);
  }

  void pruned(int objects) {
    Counter.builder("isthmus_objects_pruned").register(registry).increment(objects);
  }

  void status(IstioOperator iop, IstioOperatorStatus status) {
    if (status == null || status.componentStatus == null) {
      return;
    }
    status.componentStatus.forEach(
        (component, cs) -> gauge(iop, component).set(cs.status == null ? 0 : cs.status.ordinal()));
    gauge(iop, "_overall")
        .set(status.status == null ? InstallStatus.NONE.ordinal() : status.status.ordinal());
  }

  private AtomicInteger gauge(IstioOperator iop, String component) {
    String key =
        iop.getMetadata().getNamespace() + "/" + iop.getMetadata().getName() + "/" + component;
    return componentGauges.computeIfAbsent(
        key,
        k -> {
          AtomicInteger value = new AtomicInteger();
          Gauge.builder("isthmus_component_status", value, AtomicInteger::get)
              .tag("namespace", iop.getMetadata().getNamespace())
              .tag("istiooperator", iop.getMetadata().getName())
              .tag("component", component)
              .register(registry);
          return value;
        });
  }
}
