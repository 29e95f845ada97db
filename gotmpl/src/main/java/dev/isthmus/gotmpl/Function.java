package dev.isthmus.gotmpl;

import java.util.List;

/**
 * {@code Function} is a template function. It receives its evaluated arguments (the piped value
 * last) and throws {@link IllegalArgumentException} for bad arguments; the engine adds the template
 * name, line and function name to the message.
 */
@FunctionalInterface
public interface Function {
  /** Calls the function. */
  Object apply(List<Object> args);
}
