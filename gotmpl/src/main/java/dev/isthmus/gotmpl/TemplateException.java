package dev.isthmus.gotmpl;

/**
 * {@code TemplateException} reports a template that does not parse or fails to execute, in Go's
 * form: {@code template: <name>:<line>: <message>}.
 */
public final class TemplateException extends IllegalArgumentException {
  private final String template;
  private final int line;

  TemplateException(String template, int line, String message) {
    super("template: " + template + ":" + line + ": " + message);
    this.template = template;
    this.line = line;
  }

  /** The name of the template the error is in. */
  public String template() {
    return template;
  }

  /** The 1-based line of the action the error is in. */
  public int line() {
    return line;
  }
}
