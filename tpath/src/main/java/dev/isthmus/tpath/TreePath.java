package dev.isthmus.tpath;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.tpath.PathWalker.Op;
import dev.isthmus.tpath.PathWalker.Slot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code TreePath} is a parsed path in Istio's tree-path grammar (see the {@linkplain
 * dev.isthmus.tpath package doc}) that reads, writes and deletes nodes of a Jackson tree in place.
 *
 * <pre>{@code
 * TreePath.parse("spec.template.spec.containers.[name:discovery].image").set(deployment, text("x"));
 * TreePath.parse("values.pilot.env.FOO").set(values, text("bar"));     // creates missing maps
 * TreePath.parse("spec.ports.[-1]").set(service, port);                  // appends
 * }</pre>
 *
 * <p>Every operation either completes or throws {@link PathException} and leaves the tree as it
 * was. A {@code [key:value]} or {@code [value]} selector that matches several elements applies the
 * operation to each of them.
 */
public final class TreePath {

  private final String text;
  private final List<Segment> segments;

  private TreePath(String text, List<Segment> segments) {
    this.text = text;
    this.segments = segments;
  }

  /**
   * Parses {@code path}.
   *
   * @throws PathException with reason {@code SYNTAX} if the text is not a valid path
   */
  public static TreePath parse(String path) {
    return new TreePath(path, PathParser.parse(path));
  }

  /**
   * Returns {@code key} escaped so that it parses back as one map-key segment: {@code \}, {@code
   * .}, {@code [} and {@code ]} get a backslash.
   */
  public static String escapeKey(String key) {
    return escape(key, false);
  }

  /**
   * Returns {@code value} escaped for use inside a selector: like {@link #escapeKey}, and {@code :}
   * also gets a backslash.
   */
  public static String escapeSelectorValue(String value) {
    return escape(value, true);
  }

  private static String escape(String s, boolean colon) {
    StringBuilder out = new StringBuilder(s.length() + 4);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' || c == '.' || c == '[' || c == ']' || (colon && c == ':')) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  /** The segments of this path, in order. */
  public List<Segment> segments() {
    return segments;
  }

  /** The path text as given to {@link #parse}. */
  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TreePath other && other.segments.equals(segments);
  }

  @Override
  public int hashCode() {
    return Objects.hash(segments);
  }

  /**
   * Returns the node the path names (the first one, if a selector matches several).
   *
   * @throws PathException if a key, element or index does not exist, or a node has the wrong type
   */
  public JsonNode get(JsonNode root) {
    return getAll(root).get(0);
  }

  /**
   * Returns every node the path names, in document order; never empty.
   *
   * @throws PathException if nothing matches, or a node has the wrong type
   */
  public List<JsonNode> getAll(JsonNode root) {
    List<JsonNode> out = new ArrayList<>();
    for (Slot slot : walker(Op.GET, true).walk(root)) {
      out.add(slot.value());
    }
    return out;
  }

  /**
   * Returns the node the path names, or empty when a key, element or index does not exist.
   *
   * @throws PathException only if a node has the wrong type for the path (e.g. a key on a list)
   */
  public Optional<JsonNode> find(JsonNode root) {
    try {
      return Optional.of(get(root));
    } catch (PathException e) {
      if (e.reason() == PathException.Reason.WRONG_TYPE) {
        throw e;
      }
      return Optional.empty();
    }
  }

  /**
   * Writes a deep copy of {@code value} at every place the path names. Missing map keys are created
   * (as maps, or as lists when the next segment is an index); an index equal to or past the end of
   * a list, or {@code -1}, appends. A JSON null in the tree is replaced by the container the path
   * needs.
   *
   * @throws PathException if a selector matches nothing, an index is below -1, a node has the wrong
   *     type, or the root is not a map or list; the tree is then unchanged
   */
  public void set(JsonNode root, JsonNode value) {
    write(root, value, Op.SET);
  }

  /**
   * Like {@link #set}, but when the last segment is a {@code [key:value]} selector that matches no
   * element, appends {@code value} (which must be a map) to the list as a new element, adding
   * {@code key: value} to it when absent (as a string). If {@code value} names the key with a
   * different text, the call fails. The list itself is created when missing.
   *
   * @throws PathException as {@link #set}, or with reason {@code INVALID_VALUE} when the upsert
   *     rule's conditions do not hold; the tree is then unchanged
   */
  public void upsert(JsonNode root, JsonNode value) {
    write(root, value, Op.UPSERT);
  }

  /**
   * Removes every node the path names: map entries, or list elements (by index or selector).
   *
   * @return how many nodes were removed (at least one)
   * @throws PathException if nothing matches, or a node has the wrong type; the tree is then
   *     unchanged
   */
  public int delete(JsonNode root) {
    PathWalker walker = walker(Op.DELETE, true);
    List<Slot> slots = walker.walk(root);
    walker.remove(slots);
    return slots.size();
  }

  private void write(JsonNode root, JsonNode value, Op op) {
    Objects.requireNonNull(value, "value");
    // A dry run finds every error before anything is created, so a failure leaves the tree as is.
    List<Slot> dry = walker(op, false).walk(root);
    for (Slot slot : dry) {
      slot.check(value);
    }
    for (Slot slot : walker(op, true).walk(root)) {
      slot.put(prepare(slot, value));
    }
  }

  private JsonNode prepare(Slot slot, JsonNode value) {
    JsonNode copy = value.deepCopy();
    if (slot.upsertKey() != null && copy instanceof ObjectNode obj && !obj.has(slot.upsertKey())) {
      obj.put(slot.upsertKey(), slot.upsertValue());
    }
    return copy;
  }

  private PathWalker walker(Op op, boolean apply) {
    return new PathWalker(text, segments, op, apply);
  }
}
