package dev.isthmus.controlplane.webhooks.validation;

import static dev.isthmus.controlplane.webhooks.validation.VirtualServiceRules.nn;

import io.fabric8.istio.api.api.telemetry.v1alpha1.ProviderRef;
import io.fabric8.istio.api.api.telemetry.v1alpha1.Telemetry;
import java.util.List;

/** {@code TelemetryRules} validates telemetry.istio.io Telemetry objects. */
final class TelemetryRules {
  private TelemetryRules() {}

  static void telemetry(Telemetry t, Problems p) {
    if (t.getSelector() != null && (t.getTargetRef() != null || !nn(t.getTargetRefs()).isEmpty())) {
      p.error("spec", "only one of targetRefs, targetRef or workloadSelector can be set");
    }
    if (t.getSelector() != null) {
      Checks.labels(p, "spec.selector.matchLabels", t.getSelector().getMatchLabels());
    }
    var tracing = nn(t.getTracing());
    for (int i = 0; i < tracing.size(); i++) {
      String path = "spec.tracing[" + i + "]";
      Checks.percent(
          p, path + ".randomSamplingPercentage", tracing.get(i).getRandomSamplingPercentage());
      providers(tracing.get(i).getProviders(), path + ".providers", p);
      if (tracing.get(i).getProviders() != null && tracing.get(i).getProviders().size() > 1) {
        p.error(path + ".providers", "multiple providers are not currently supported");
      }
    }
    var logging = nn(t.getAccessLogging());
    for (int i = 0; i < logging.size(); i++) {
      String path = "spec.accessLogging[" + i + "]";
      providers(logging.get(i).getProviders(), path + ".providers", p);
      var filter = logging.get(i).getFilter();
      if (filter != null && Checks.isBlank(filter.getExpression())) {
        p.error(path + ".filter.expression", "filter expression must not be empty");
      }
    }
    var metrics = nn(t.getMetrics());
    for (int i = 0; i < metrics.size(); i++) {
      String path = "spec.metrics[" + i + "]";
      providers(metrics.get(i).getProviders(), path + ".providers", p);
      Checks.duration(p, path + ".reportingInterval", metrics.get(i).getReportingInterval());
      var overrides = nn(metrics.get(i).getOverrides());
      for (int j = 0; j < overrides.size(); j++) {
        var tags = overrides.get(j).getTagOverrides();
        if (tags == null) {
          continue;
        }
        int jj = j;
        tags.forEach(
            (name, tag) -> {
              if (tag != null
                  && tag.getOperation() != null
                  && tag.getOperation().name().equals("UPSERT")
                  && Checks.isBlank(tag.getValue())) {
                p.error(
                    path + ".overrides[" + jj + "].tagOverrides[" + name + "].value",
                    "must be set when operation is UPSERT");
              }
            });
      }
    }
  }

  private static void providers(List<ProviderRef> providers, String path, Problems p) {
    var ps = nn(providers);
    for (int i = 0; i < ps.size(); i++) {
      if (ps.get(i) == null || Checks.isBlank(ps.get(i).getName())) {
        p.error(path + "[" + i + "].name", "provider name must not be empty");
      }
    }
  }
}
