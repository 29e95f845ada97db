package dev.isthmus.tpath;

/**
 * {@code Segment} is one part of a {@link TreePath}: a map key, a list index, or a list selector.
 *
 * <p>{@link #source()} is the text the segment was parsed from (escapes included), used in error
 * messages so that they quote what the user wrote.
 */
public sealed interface Segment {

  /** The text of this segment as written in the path, e.g. {@code [name:foo]} or {@code a\.b}. */
  String source();

  /** {@code Key} selects the map entry {@code name}. */
  record Key(String name, String source) implements Segment {}

  /**
   * {@code Index} selects the list element at {@code index}; on write, an index equal to or past
   * the end of the list, or {@code -1}, appends.
   */
  record Index(int index, String source) implements Segment {}

  /**
   * {@code Match} selects every list element that is a map whose entry {@code key} is a scalar with
   * text form {@code value}.
   */
  record Match(String key, String value, String source) implements Segment {}

  /**
   * {@code ValueMatch} selects scalar list elements whose text form is {@code value}; when none is
   * equal, the first element that {@code value} matches as an unanchored regular expression (Istio
   * compatibility: {@code [--foo]} selects {@code --foo=1}).
   */
  record ValueMatch(String value, String source) implements Segment {}
}
