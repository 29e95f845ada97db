package dev.isthmus.tpath;

import dev.isthmus.tpath.PathException.Reason;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code PathParser} turns path text into {@link Segment}s; see the package doc for the grammar.
 */
final class PathParser {
  /**
   * Most segments a path may have. Paths name fields of Kubernetes objects, a few dozen deep at
   * most; the walker recurses once per segment, so a bound keeps it off the end of the stack.
   */
  static final int MAX_SEGMENTS = 1000;

  private final String path;
  private final List<Segment> segments = new ArrayList<>();
  private int pos;

  private PathParser(String path) {
    this.path = path;
  }

  static List<Segment> parse(String path) {
    if (path == null || path.isEmpty()) {
      throw new PathException(Reason.SYNTAX, String.valueOf(path), "", "", "empty path");
    }
    PathParser p = new PathParser(path);
    p.run();
    if (p.segments.size() > MAX_SEGMENTS) {
      throw new PathException(
          Reason.SYNTAX,
          path,
          "",
          "",
          "path has " + p.segments.size() + " segments, more than " + MAX_SEGMENTS);
    }
    return List.copyOf(p.segments);
  }

  /** True for characters that a backslash turns into themselves. */
  static boolean escapable(char c) {
    return c == '.' || c == ':' || c == '[' || c == ']' || c == '\\';
  }

  private void run() {
    StringBuilder key = new StringBuilder();
    StringBuilder raw = new StringBuilder();
    int n = path.length();
    while (pos < n) {
      char c = path.charAt(pos);
      if (c == '[') {
        if (raw.length() > 0) {
          segments.add(new Segment.Key(key.toString(), raw.toString()));
          key.setLength(0);
          raw.setLength(0);
        }
        selector();
        if (pos < n) {
          char next = path.charAt(pos);
          if (next == '.') {
            pos++;
            if (pos == n) {
              throw error(pos, "path ends with '.'");
            }
          } else if (next != '[') {
            throw error(pos, "expected '.' or '[' after ']' but found '" + next + "'");
          }
        }
        continue;
      }
      if (c == ']') {
        throw error(pos, "unbalanced ']' (write \\] for a literal bracket)");
      }
      if (c == '.') {
        if (raw.length() == 0) {
          throw error(pos, "empty key before '.'");
        }
        segments.add(new Segment.Key(key.toString(), raw.toString()));
        key.setLength(0);
        raw.setLength(0);
        pos++;
        if (pos == n) {
          throw error(pos, "path ends with '.'");
        }
        continue;
      }
      if (c == '\\') {
        escape(key, raw);
        continue;
      }
      key.append(c);
      raw.append(c);
      pos++;
    }
    if (raw.length() > 0) {
      segments.add(new Segment.Key(key.toString(), raw.toString()));
    }
  }

  private void escape(StringBuilder out, StringBuilder raw) {
    if (pos + 1 >= path.length()) {
      throw error(pos, "path ends with a lone '\\'");
    }
    char d = path.charAt(pos + 1);
    raw.append('\\').append(d);
    if (!escapable(d)) {
      out.append('\\');
    }
    out.append(d);
    pos += 2;
  }

  /** Parses {@code [...]} starting at the '[' and leaves pos after the ']'. */
  private void selector() {
    int start = pos;
    pos++;
    StringBuilder left = new StringBuilder();
    StringBuilder right = null;
    StringBuilder raw = new StringBuilder();
    boolean escaped = false;
    while (true) {
      if (pos >= path.length()) {
        throw error(path.length() - 1, "unterminated selector " + path.substring(start));
      }
      char c = path.charAt(pos);
      if (c == ']') {
        pos++;
        break;
      }
      if (c == '[') {
        throw error(pos, "'[' inside a selector (write \\[ for a literal bracket)");
      }
      StringBuilder target = right == null ? left : right;
      if (c == '\\') {
        escape(target, raw);
        escaped = true;
        continue;
      }
      raw.append(c);
      pos++;
      if (c == ':' && right == null) {
        right = new StringBuilder();
        continue;
      }
      target.append(c);
    }
    String source = "[" + raw + "]";
    if (right == null) {
      String text = left.toString();
      if (text.isEmpty()) {
        throw error(pos - 1, "empty selector []");
      }
      if (!escaped && text.matches("-?[0-9]+")) {
        try {
          segments.add(new Segment.Index(Integer.parseInt(text), source));
        } catch (NumberFormatException e) {
          throw error(pos - 1, "index " + text + " is too large");
        }
        return;
      }
      segments.add(new Segment.ValueMatch(text, source));
    } else if (left.length() == 0) {
      segments.add(new Segment.ValueMatch(right.toString(), source));
    } else {
      segments.add(new Segment.Match(left.toString(), right.toString(), source));
    }
  }

  private PathException error(int at, String detail) {
    int end = Math.min(at + 1, path.length());
    int segStart = Math.max(path.lastIndexOf('.', Math.max(at - 1, 0)) + 1, 0);
    String segment = segStart < end ? path.substring(segStart, end) : "";
    return new PathException(Reason.SYNTAX, path, segment, path.substring(0, end), detail);
  }
}
