package dev.isthmus.translate.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code HpaUpgrade} rewrites autoscaling/v2beta1 metric fields that Istio still accepts in {@code
 * k8s.hpaSpec} ({@code resource.targetAverageUtilization}, {@code object.metricName}, {@code
 * object.averageValue}) into their autoscaling/v2 form, in place.
 */
public final class HpaUpgrade {
  private HpaUpgrade() {}

  /** Whether {@code hpaSpec} uses any v2beta1 metric field. */
  public static boolean hasDeprecatedFields(JsonNode hpaSpec) {
    JsonNode metrics = hpaSpec == null ? null : hpaSpec.get("metrics");
    if (metrics == null || !metrics.isArray()) {
      return false;
    }
    for (JsonNode m : metrics) {
      JsonNode r = m.get("resource");
      JsonNode o = m.get("object");
      if ((r != null && (r.has("targetAverageUtilization") || r.has("targetAverageValue")))
          || (o != null
              && (o.has("metricName") || o.has("averageValue") || o.has("targetValue")))) {
        return true;
      }
    }
    return false;
  }

  /** Converts the deprecated fields of {@code hpaSpec} to autoscaling/v2, in place. */
  public static void upgrade(JsonNode hpaSpec) {
    JsonNode metrics = hpaSpec == null ? null : hpaSpec.get("metrics");
    if (metrics == null || !metrics.isArray()) {
      return;
    }
    for (JsonNode m : metrics) {
      if (!m.isObject()) {
        continue;
      }
      ObjectNode metric = (ObjectNode) m;
      JsonNode r = metric.get("resource");
      if (r instanceof ObjectNode res) {
        if (!metric.has("type")) {
          metric.put("type", "Resource");
        }
        if (res.has("targetAverageUtilization")) {
          ObjectNode target = res.putObject("target");
          target.put("type", "Utilization");
          target.set("averageUtilization", res.remove("targetAverageUtilization"));
        } else if (res.has("targetAverageValue")) {
          ObjectNode target = res.putObject("target");
          target.put("type", "AverageValue");
          target.put("averageValue", res.remove("targetAverageValue").asText());
        }
      }
      JsonNode o = metric.get("object");
      if (o instanceof ObjectNode obj) {
        if (obj.has("metricName")) {
          obj.putObject("metric").set("name", obj.remove("metricName"));
        }
        if (obj.has("averageValue")) {
          ObjectNode target = obj.putObject("target");
          target.put("type", "AverageValue");
          target.put("averageValue", obj.remove("averageValue").asText());
        } else if (obj.has("targetValue")) {
          ObjectNode target = obj.putObject("target");
          target.put("type", "Value");
          target.put("value", obj.remove("targetValue").asText());
        }
      }
    }
  }
}
