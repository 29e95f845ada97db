package dev.isthmus.patch;

/**
 * {@code PatchException} reports a {@code k8s} block that cannot be applied. Its message starts
 * with the field path of the offending input, e.g. {@code
 * spec.components.pilot.k8s.overlays[1].patches[0].path: no list element matches [name:foo] at
 * spec.template.spec.containers.[name:foo]}.
 */
public class PatchException extends RuntimeException {

  private final String fieldPath;

  /** Creates an exception for the input at {@code fieldPath}. */
  public PatchException(String fieldPath, String message) {
    this(fieldPath, message, null);
  }

  /** Creates an exception for the input at {@code fieldPath}, caused by {@code cause}. */
  public PatchException(String fieldPath, String message, Throwable cause) {
    super(fieldPath + ": " + message, cause);
    this.fieldPath = fieldPath;
  }

  /** The field path of the input that failed, e.g. {@code spec.components.pilot.k8s.env}. */
  public String fieldPath() {
    return fieldPath;
  }
}
