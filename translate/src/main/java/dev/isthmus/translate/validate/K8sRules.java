package dev.isthmus.translate.validate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code K8sRules} holds the value rules of Kubernetes fields that the Java model types as plain
 * strings or integers: the enumerations the API server accepts (toleration operators, Service
 * types, pull policies, ...), resource quantities and counts that cannot be negative. {@link
 * StrictChecker} applies them to each field it walks; the key is the model class's simple name and
 * the JSON property.
 */
final class K8sRules {
  /**
   * A Kubernetes resource quantity: a signed decimal number with a binary (Ki..Ei) or decimal (n,
   * u, m, k, M..E) suffix or a decimal exponent, as {@code resource.ParseQuantity} reads it.
   */
  static final Pattern QUANTITY =
      Pattern.compile(
          "[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?");

  private static final Map<String, List<String>> ENUMS =
      Map.ofEntries(
          Map.entry("Toleration.operator", List.of("Exists", "Equal")),
          Map.entry("Toleration.effect", List.of("NoSchedule", "PreferNoSchedule", "NoExecute")),
          Map.entry(
              "ServiceSpec.type", List.of("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")),
          Map.entry("ServiceSpec.externalTrafficPolicy", List.of("Cluster", "Local")),
          Map.entry("ServiceSpec.internalTrafficPolicy", List.of("Cluster", "Local")),
          Map.entry("ServiceSpec.sessionAffinity", List.of("None", "ClientIP")),
          Map.entry(
              "ServiceSpec.ipFamilyPolicy",
              List.of("SingleStack", "PreferDualStack", "RequireDualStack")),
          Map.entry("ServiceSpec.ipFamilies", List.of("IPv4", "IPv6")),
          Map.entry("ServicePort.protocol", List.of("TCP", "UDP", "SCTP")),
          Map.entry("ContainerPort.protocol", List.of("TCP", "UDP", "SCTP")),
          Map.entry(
              "KubernetesResources.imagePullPolicy", List.of("Always", "Never", "IfNotPresent")),
          Map.entry("Container.imagePullPolicy", List.of("Always", "Never", "IfNotPresent")),
          Map.entry("DeploymentStrategy.type", List.of("RollingUpdate", "Recreate")),
          Map.entry(
              "NodeSelectorRequirement.operator",
              List.of("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")),
          Map.entry(
              "LabelSelectorRequirement.operator",
              List.of("In", "NotIn", "Exists", "DoesNotExist")),
          Map.entry("HTTPGetAction.scheme", List.of("HTTP", "HTTPS")),
          Map.entry("PodSecurityContext.fsGroupChangePolicy", List.of("OnRootMismatch", "Always")),
          Map.entry("SeccompProfile.type", List.of("RuntimeDefault", "Unconfined", "Localhost")),
          Map.entry("AppArmorProfile.type", List.of("RuntimeDefault", "Unconfined", "Localhost")),
          Map.entry(
              "MetricSpec.type",
              List.of("Object", "Pods", "Resource", "ContainerResource", "External")),
          Map.entry("MetricTarget.type", List.of("Utilization", "Value", "AverageValue")),
          Map.entry("HPAScalingPolicy.type", List.of("Pods", "Percent")),
          Map.entry("HPAScalingRules.selectPolicy", List.of("Max", "Min", "Disabled")),
          Map.entry(
              "PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy",
              List.of("IfHealthyBudget", "AlwaysAllow")),
          Map.entry(
              "TopologySpreadConstraint.whenUnsatisfiable",
              List.of("DoNotSchedule", "ScheduleAnyway")),
          Map.entry("TopologySpreadConstraint.nodeAffinityPolicy", List.of("Honor", "Ignore")),
          Map.entry("TopologySpreadConstraint.nodeTaintsPolicy", List.of("Honor", "Ignore")));

  private static final Map<String, Integer> MINIMUM =
      Map.of(
          "KubernetesResources.replicaCount", 0,
          "HorizontalPodAutoscalerSpec.maxReplicas", 1);

  private K8sRules() {}

  /** Applies the rules of {@code owner}'s property {@code name} to {@code value}. */
  static void check(Class<?> owner, String name, JsonNode value, String path, List<String> errors) {
    if (value == null || value.isNull()) {
      return;
    }
    String key = owner.getSimpleName() + "." + name;
    List<String> allowed = ENUMS.get(key);
    if (allowed != null) {
      if (value.isArray()) {
        for (int i = 0; i < value.size(); i++) {
          oneOf(value.get(i), allowed, path + "[" + i + "]", errors);
        }
      } else {
        oneOf(value, allowed, path, errors);
      }
    }
    Integer min = MINIMUM.get(key);
    if (min != null && (value.isIntegralNumber() || value.isTextual())) {
      long v = value.isNumber() ? value.asLong() : parse(value.asText());
      if (v < min) {
        errors.add(path + ": " + value.asText() + " is less than " + min);
      }
    }
  }

  /** Checks a resource quantity. */
  static void quantity(JsonNode value, String path, List<String> errors) {
    if (value.isNumber()) {
      return;
    }
    if (!value.isTextual() || !QUANTITY.matcher(value.asText()).matches()) {
      errors.add(path + ": " + quoted(value) + " is not a quantity (e.g. 100m, 1.5, 2Gi)");
    }
  }

  private static void oneOf(JsonNode v, List<String> allowed, String path, List<String> errors) {
    if (v.isTextual() && (v.asText().isEmpty() || allowed.contains(v.asText()))) {
      return;
    }
    if (v.isValueNode()) {
      errors.add(path + ": " + quoted(v) + " is not one of " + String.join(", ", allowed));
    }
  }

  static String quoted(JsonNode v) {
    return v.isTextual() ? "\"" + v.asText() + "\"" : StrictChecker.describe(v);
  }

  private static long parse(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE; // not an integer: reported by the type check
    }
  }
}
