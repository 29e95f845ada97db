package dev.isthmus.tpath;

/**
 * {@code PathException} reports a path that cannot be parsed or cannot be resolved against a tree.
 * It names the full path, the failing segment and the path up to and including that segment, e.g.
 * {@code no list element matches [name:foo] at spec.template.spec.containers.[name:foo]}.
 */
public class PathException extends RuntimeException {

  /** What went wrong. */
  public enum Reason {
    /** The path text is malformed. */
    SYNTAX,
    /** A map key does not exist (reads and deletes only; writes create missing keys). */
    NOT_FOUND,
    /** A list selector matched no element. */
    NO_MATCH,
    /** A list index is outside the list (reads and deletes), or below {@code -1}. */
    INDEX_OUT_OF_RANGE,
    /** The node is not of the kind the segment needs (a key on a list, a selector on a map...). */
    WRONG_TYPE,
    /** The value cannot be written where the path points. */
    INVALID_VALUE
  }

  private final Reason reason;
  private final String path;
  private final String segment;
  private final String prefix;
  private final String detail;

  PathException(Reason reason, String path, String segment, String prefix, String detail) {
    super(message(detail, path, prefix));
    this.reason = reason;
    this.path = path;
    this.segment = segment;
    this.prefix = prefix;
    this.detail = detail;
  }

  private static String message(String detail, String path, String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      return detail + " in path " + path;
    }
    if (prefix.equals(path)) {
      return detail + " at " + path;
    }
    return detail + " at " + prefix + " (in path " + path + ")";
  }

  /** The kind of failure. */
  public Reason reason() {
    return reason;
  }

  /** The full path text as given. */
  public String path() {
    return path;
  }

  /** The failing segment as written (e.g. {@code [name:foo]}); empty for whole-path errors. */
  public String segment() {
    return segment;
  }

  /** The path up to and including the failing segment; empty for whole-path errors. */
  public String prefix() {
    return prefix;
  }

  /** The message without the location, e.g. {@code no list element matches [name:foo]}. */
  public String detail() {
    return detail;
  }
}
