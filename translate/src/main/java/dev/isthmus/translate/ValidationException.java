package dev.isthmus.translate;

import java.util.List;

/**
 * {@code ValidationException} reports every problem found in an IstioOperator before anything is
 * rendered; each message starts with the field path, e.g. {@code spec.revision: ...}.
 */
public class ValidationException extends RuntimeException {
  private final List<String> errors;

  /** Creates an exception carrying {@code errors} (at least one). */
  public ValidationException(List<String> errors) {
    super(String.join("\n", errors));
    this.errors = List.copyOf(errors);
  }

  /** The collected messages, each naming its field path. */
  public List<String> errors() {
    return errors;
  }
}
