package dev.isthmus.controlplane.webhooks.validation;

import java.util.List;

/**
 * {@code ValidationResult} is the verdict on one object: allowed or not, the denial message
 * (Istio's wording, {@code configuration is invalid: ...}) and the warnings to return to the
 * client.
 *
 * @param allowed whether the object may be stored
 * @param message null when allowed, otherwise the reason
 * @param warnings warnings for the admission response, possibly empty
 */
public record ValidationResult(boolean allowed, String message, List<String> warnings) {

  /** An allowed result with the given warnings. */
  public static ValidationResult allow(List<String> warnings) {
    return new ValidationResult(true, null, List.copyOf(warnings));
  }

  /** A denial carrying every error, joined with {@code "; "}. */
  public static ValidationResult deny(List<String> errors, List<String> warnings) {
    return new ValidationResult(
        false, "configuration is invalid: " + String.join("; ", errors), List.copyOf(warnings));
  }
}
