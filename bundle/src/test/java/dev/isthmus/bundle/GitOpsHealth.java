package dev.isthmus.bundle;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code GitOpsHealth} evaluates, on an IstioOperator as the API server returns it, the two rules
 * GitOps tools apply:
 *
 * <ul>
 *   <li>Argo CD: its health framework answers {@code Progressing "Pending deletion"} for any object
 *       with a deletionTimestamp (gitops-engine {@code GetResourceHealth}), then runs the built-in
 *       Lua check {@code resource_customizations/install.istio.io/IstioOperator/health.lua}: {@code
 *       status.status} NONE (or 0) → Unknown, UPDATING (1) and RECONCILING (2) → Progressing,
 *       HEALTHY (3) → Healthy, ERROR (4) → Degraded, anything else or no status → Progressing
 *       "Waiting for Istio Control Plane".
 *   <li>Flux (kustomize-controller health checks) uses kstatus ({@code
 *       sigs.k8s.io/cli-utils/pkg/kstatus/status .Compute}): deletionTimestamp → Terminating;
 *       {@code status.observedGeneration} present and different from {@code metadata.generation} →
 *       InProgress; condition Reconciling=True → InProgress; Stalled=True → Failed; then Ready True
 *       → Current, Ready False/Unknown → InProgress; no Ready condition → Current.
 * </ul>
 *
 * Re-implemented from the rules' published behaviour so the tests can run them on real statuses.
 */
final class GitOpsHealth {
  record Result(String status, String message) {}

  private GitOpsHealth() {}

  static Result argoCd(JsonNode obj) {
    if (obj.at("/metadata/deletionTimestamp").isTextual()) {
      return new Result("Progressing", "Pending deletion");
    }
    JsonNode s = obj.at("/status/status");
    if (!s.isMissingNode() && !s.isNull()) {
      if (is(s, 0, "NONE")) {
        return new Result("Unknown", "Component is not present.");
      }
      if (is(s, 1, "UPDATING")) {
        return new Result("Progressing", "Component is being updated to a different version.");
      }
      if (is(s, 2, "RECONCILING")) {
        return new Result(
            "Progressing",
            "Controller has started but not yet completed reconciliation loop for the component.");
      }
      if (is(s, 3, "HEALTHY")) {
        return new Result("Healthy", "Component is healthy.");
      }
      if (is(s, 4, "ERROR")) {
        return new Result("Degraded", "Component is in an error state.");
      }
    }
    return new Result("Progressing", "Waiting for Istio Control Plane");
  }

  private static boolean is(JsonNode s, int number, String name) {
    return (s.isNumber() && s.asInt() == number) || (s.isTextual() && s.asText().equals(name));
  }

  static Result kstatus(JsonNode obj) {
    if (obj.at("/metadata/deletionTimestamp").isTextual()
        && !obj.at("/metadata/deletionTimestamp").asText().isEmpty()) {
      return new Result("Terminating", "Resource scheduled for deletion");
    }
    JsonNode generation = obj.at("/metadata/generation");
    JsonNode observed = obj.at("/status/observedGeneration");
    if (generation.isNumber() && observed.isNumber() && generation.asLong() != observed.asLong()) {
      return new Result(
          "InProgress",
          "%s generation is %d, but latest observed generation is %d"
              .formatted(obj.path("kind").asText(), generation.asLong(), observed.asLong()));
    }
    JsonNode conditions = obj.at("/status/conditions");
    for (JsonNode c : conditions) {
      if (c.path("type").asText().equals("Reconciling")
          && c.path("status").asText().equals("True")) {
        return new Result("InProgress", c.path("message").asText());
      }
      if (c.path("type").asText().equals("Stalled") && c.path("status").asText().equals("True")) {
        return new Result("Failed", c.path("message").asText());
      }
    }
    for (JsonNode c : conditions) {
      if (!c.path("type").asText().equals("Ready")) {
        continue;
      }
      switch (c.path("status").asText()) {
        case "True":
          return new Result("Current", "Resource is Ready");
        case "False":
        case "Unknown":
          return new Result("InProgress", c.path("message").asText());
        default:
          break;
      }
    }
    return new Result("Current", "Resource is current");
  }
}
