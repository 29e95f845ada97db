package dev.isthmus.gotmpl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GoValues} holds the value semantics of the template engine. Values are {@code null} (Go's
 * nil, and a missing map key), {@link String}, {@link Long} (Go's {@code int}), {@link Double}
 * ({@code float64}), {@link Boolean}, {@link List} ({@code []interface {}}), {@link Map} with
 * string keys ({@code map[string]interface {}}), {@link GoStruct} and {@link Function} (a function
 * value for {@code call}). Truth and comparison follow Go. {@link #print} is {@code fmt.Sprint} of
 * one value except that nil prints as the empty string, which is what functions that stringify an
 * optional argument want; the engine itself prints nil in an action as Go does, {@code <no value>}.
 */
public final class GoValues {
  /**
   * An unset field of a {@link GoStruct}: the zero value of a Go field whose type the JSON does not
   * tell. It prints as the empty string, is false, equals nil and the zero of any basic type, and
   * reaches functions as {@code null}.
   */
  static final Object ZERO =
      new Object() {
        @Override
        public String toString() {
          return "";
        }
      };

  private GoValues() {}

  /** A JSON tree as plain values: objects become {@link Map}s with exact keys. */
  public static Object plain(JsonNode n) {
    return convert(n, false);
  }

  /** A JSON tree as a {@link GoStruct} tree: objects resolve Go field names. */
  public static Object struct(JsonNode n) {
    return convert(n, true);
  }

  private static Object convert(JsonNode n, boolean struct) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      n.fields().forEachRemaining(e -> m.put(e.getKey(), convert(e.getValue(), struct)));
      return struct ? new GoStruct(m) : m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(e -> l.add(convert(e, struct)));
      return l;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isIntegralNumber()) {
      return n.longValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    return n.asText();
  }

  /** A value with every {@link GoStruct} unwrapped, for serialising. */
  public static Object plain(Object v) {
    if (v instanceof GoStruct s) {
      return s.plain();
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), plain(x)));
      return out;
    }
    if (v instanceof List<?> l) {
      return GoStruct.plainList(l);
    }
    return v;
  }

  /** Go's truth: false, 0, nil, and empty strings, lists and maps are false. */
  public static boolean truth(Object v) {
    if (v == null || v == ZERO) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof Long l) {
      return l != 0;
    }
    if (v instanceof Number n) {
      return n.doubleValue() != 0;
    }
    if (v instanceof Collection<?> c) {
      return !c.isEmpty();
    }
    if (v instanceof Map<?, ?> m) {
      return !m.isEmpty();
    }
    if (v instanceof GoStruct s) {
      return !s.fields().isEmpty();
    }
    return true;
  }

  /** {@code fmt.Sprint} of one value, nil (and an unset struct field) as the empty string. */
  public static String print(Object v) {
    return v == null || v == ZERO ? "" : Fmt.value(v);
  }

  /** A map or struct's entries (struct fields by their JSON names). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object v) {
    if (v instanceof GoStruct s) {
      return s.fields();
    }
    if (v instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    return null;
  }

  private enum Kind {
    BOOL,
    INT,
    FLOAT,
    STRING,
    INVALID
  }

  private static Kind kind(Object v) {
    if (v instanceof Boolean) {
      return Kind.BOOL;
    }
    if (v instanceof Long || v instanceof Integer) {
      return Kind.INT;
    }
    if (v instanceof Double) {
      return Kind.FLOAT;
    }
    return v instanceof String ? Kind.STRING : Kind.INVALID;
  }

  /** The zero value of {@code like}'s basic type, standing for an unset struct field. */
  private static Object zeroLike(Object like) {
    return switch (kind(like)) {
      case BOOL -> false;
      case INT -> 0L;
      case FLOAT -> 0.0;
      case STRING -> "";
      case INVALID -> null;
    };
  }

  /**
   * Go's {@code eq} of two values: basic values of one kind compare by value, nil equals only nil,
   * a basic value and a value of another type are an error, lists and maps are not comparable.
   */
  static boolean equal(Object a, Object b) {
    if (a == ZERO || b == ZERO) {
      Object other = a == ZERO ? b : a;
      return other == null || other == ZERO || other.equals(zeroLike(other));
    }
    Kind ka = kind(a);
    Kind kb = kind(b);
    if (ka != kb) {
      if (a != null && b != null) {
        throw new IllegalArgumentException(
            "incompatible types for comparison: " + typeName(a) + " and " + typeName(b));
      }
      return false;
    }
    if (ka != Kind.INVALID) {
      return ka == Kind.INT
          ? ((Number) a).longValue() == ((Number) b).longValue()
          : a.equals(b) || (ka == Kind.FLOAT && (double) a == (double) b);
    }
    if (a == null || b == null) {
      return a == b;
    }
    if (a instanceof Function && b instanceof Function) {
      return a == b;
    }
    throw new IllegalArgumentException(
        "non-comparable type " + Fmt.sprintf("%s", List.of(b)) + ": " + typeName(b));
  }

  /** Go's ordering ({@code lt} and friends) of two integers, floats or strings. */
  static int compare(Object a, Object b) {
    Object x = a == ZERO ? zeroLike(b) : a;
    Object y = b == ZERO ? zeroLike(x) : b;
    Kind kx = kind(x);
    Kind ky = kind(y);
    if (kx == Kind.INVALID || ky == Kind.INVALID || kx == Kind.BOOL) {
      throw new IllegalArgumentException("invalid type for comparison");
    }
    if (kx != ky) {
      throw new IllegalArgumentException(
          "incompatible types for comparison: " + typeName(x) + " and " + typeName(y));
    }
    return switch (kx) {
      case INT -> Long.compare(((Number) x).longValue(), ((Number) y).longValue());
      case FLOAT -> Double.compare((double) x, (double) y);
      default -> ((String) x).compareTo((String) y);
    };
  }

  /** The Go type name of a value, for messages. */
  static String typeName(Object v) {
    return Fmt.typeName(v);
  }

  /** YAML of a value as Go's {@code yaml.Marshal} writes it: keys sorted, trailing newline. */
  public static String toYaml(Object v) {
    return Sprig.toYaml(v);
  }

  /** An integer argument: a number, or a string holding one. */
  public static long toLong(Object v) {
    if (v instanceof Number n) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected an integer, got \"" + s + "\"");
      }
    }
    if (v == null) {
      return 0;
    }
    throw new IllegalArgumentException("expected an integer, got " + typeName(v));
  }

  /** A list argument: a list, or nil as an empty list. */
  public static List<?> toList(Object v) {
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l;
    }
    throw new IllegalArgumentException("expected a list, got " + typeName(v));
  }
}
