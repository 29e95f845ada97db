package dev.isthmus.gotmpl;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GoValues} holds the value semantics of the template engine. Values are {@code null} (Go's
 * nil and a missing map key), {@link String}, {@link Long}, {@link Double}, {@link Boolean}, {@link
 * List}, {@link Map} (string keys) and {@link GoStruct}. Truth, printing ({@code fmt.Sprint}) and
 * comparison follow Go, except that nil prints as the empty string rather than {@code <no value>}
 * and a field of nil is nil rather than an error: Istio's templates read optional values that way.
 */
public final class GoValues {
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
    if (v == null) {
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

  /** {@code fmt.Sprint} of one value. */
  public static String print(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Double d) {
      return formatFloat(d);
    }
    if (v instanceof List<?> l) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        b.append(i == 0 ? "" : " ").append(l.get(i) == null ? "<nil>" : print(l.get(i)));
      }
      return b.append(']').toString();
    }
    if (v instanceof Map<?, ?> || v instanceof GoStruct) {
      Map<String, Object> sorted = new TreeMap<>(asMap(v));
      StringBuilder b = new StringBuilder("map[");
      boolean first = true;
      for (var e : sorted.entrySet()) {
        b.append(first ? "" : " ").append(e.getKey()).append(':');
        b.append(e.getValue() == null ? "<nil>" : print(e.getValue()));
        first = false;
      }
      return b.append(']').toString();
    }
    return String.valueOf(v);
  }

  /** Go's {@code %v} of a float64: plain digits for exponents in [-4, 21), else {@code e+NN}. */
  static String formatFloat(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e21) {
      return new BigDecimal(d).toPlainString();
    }
    String s = BigDecimal.valueOf(d).stripTrailingZeros().toString();
    if (!s.contains("E")) {
      return s;
    }
    String[] p = s.split("E");
    int exp = Integer.parseInt(p[1]);
    if (exp >= -4 && exp < 21) {
      return BigDecimal.valueOf(d).toPlainString();
    }
    return p[0] + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
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

  /** Go's {@code eq} of two values; nil equals only nil and a zero value. */
  static boolean equal(Object a, Object b) {
    if (a == null || b == null) {
      Object other = a == null ? b : a;
      boolean scalar =
          other instanceof String || other instanceof Number || other instanceof Boolean;
      return other == null || (scalar && !truth(other));
    }
    if (a instanceof Number x && b instanceof Number y) {
      return compareNumbers(x, y) == 0;
    }
    if (a.getClass() != b.getClass()) {
      throw new IllegalArgumentException(
          "incompatible types for comparison: " + typeName(a) + " and " + typeName(b));
    }
    if (a instanceof List || a instanceof Map || a instanceof GoStruct) {
      throw new IllegalArgumentException("non-comparable type " + typeName(a));
    }
    return a.equals(b);
  }

  /** Go's ordering of two numbers or two strings. */
  static int compare(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return compareNumbers(x, y);
    }
    if (a instanceof String x && b instanceof String y) {
      return x.compareTo(y);
    }
    throw new IllegalArgumentException(
        "incompatible types for comparison: " + typeName(a) + " and " + typeName(b));
  }

  private static int compareNumbers(Number x, Number y) {
    if (x instanceof Long && y instanceof Long) {
      return Long.compare(x.longValue(), y.longValue());
    }
    return Double.compare(x.doubleValue(), y.doubleValue());
  }

  /** The Go type name of a value, for messages. */
  static String typeName(Object v) {
    if (v == null) {
      return "nil";
    }
    if (v instanceof String) {
      return "string";
    }
    if (v instanceof Long) {
      return "int";
    }
    if (v instanceof Double) {
      return "float64";
    }
    if (v instanceof Boolean) {
      return "bool";
    }
    if (v instanceof List) {
      return "[]interface {}";
    }
    if (v instanceof GoStruct) {
      return "struct";
    }
    return "map[string]interface {}";
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
