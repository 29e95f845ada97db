package dev.isthmus.controlplane.webhooks.validation;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code Problems} collects the errors and warnings found while validating one Istio config object.
 * Each entry names the field path it is about, e.g. {@code spec.http[0].route: total destination
 * weight 90 != 100}.
 */
public final class Problems {
  private final List<String> errors = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  /** Records an error about {@code path}. */
  public void error(String path, String message) {
    errors.add(path + ": " + message);
  }

  /** Records a warning about {@code path}; warnings never deny a request. */
  public void warn(String path, String message) {
    warnings.add(path + ": " + message);
  }

  /** Errors in the order found. */
  public List<String> errors() {
    return List.copyOf(errors);
  }

  /** Warnings in the order found. */
  public List<String> warnings() {
    return List.copyOf(warnings);
  }

  /** True when no error was recorded. */
  public boolean ok() {
    return errors.isEmpty();
  }
}
