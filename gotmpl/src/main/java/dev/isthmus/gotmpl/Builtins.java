package dev.isthmus.gotmpl;

import static dev.isthmus.gotmpl.GoValues.truth;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Builtins} are Go's predefined template functions ({@code and}, {@code or}, {@code not},
 * {@code eq} with several operands, {@code ne}, {@code lt}, {@code le}, {@code gt}, {@code ge},
 * {@code len}, {@code index}, {@code slice}, {@code print}, {@code printf}, {@code println}, {@code
 * html}, {@code js}, {@code urlquery}, {@code call}) plus the Sprig functions in {@link Sprig}.
 * {@code and}, {@code or} and {@code call} are listed here but evaluated by the engine: the first
 * two lazily, the last because its errors name the called operand.
 */
final class Builtins {
  static final Map<String, Function> FUNCTIONS = build();

  /** A function that receives unset struct fields as {@link GoValues#ZERO} rather than null. */
  interface ZeroAware extends Function {}

  /**
   * A call Go rejects before calling: a wrong number of arguments, or argument {@code arg} of the
   * wrong type ({@code -1}: not about one argument). Not prefixed with "error calling".
   */
  static final class BadCall extends IllegalArgumentException {
    final int arg;

    BadCall(int arg, String message) {
      super(message);
      this.arg = arg;
    }
  }

  private Builtins() {}

  private static Map<String, Function> build() {
    Map<String, Function> f = new HashMap<>();
    f.put("and", a -> atLeast(a, 1, "and").get(a.size() - 1));
    f.put("or", a -> atLeast(a, 1, "or").get(a.size() - 1));
    f.put("call", a -> atLeast(a, 1, "call"));
    f.put("not", a -> !truth(arity(a, 1, "not").get(0)));
    f.put("eq", (ZeroAware) Builtins::eq);
    f.put("ne", (ZeroAware) a -> !GoValues.equal(arity(a, 2, "ne").get(0), a.get(1)));
    f.put("lt", (ZeroAware) a -> GoValues.compare(arity(a, 2, "lt").get(0), a.get(1)) < 0);
    f.put("le", (ZeroAware) a -> GoValues.compare(arity(a, 2, "le").get(0), a.get(1)) <= 0);
    f.put("gt", (ZeroAware) a -> GoValues.compare(arity(a, 2, "gt").get(0), a.get(1)) > 0);
    f.put("ge", (ZeroAware) a -> GoValues.compare(arity(a, 2, "ge").get(0), a.get(1)) >= 0);
    f.put("len", (ZeroAware) a -> len(arity(a, 1, "len").get(0)));
    f.put("index", (ZeroAware) Builtins::index);
    f.put("slice", Builtins::slice);
    f.put("print", Fmt::sprint);
    f.put("println", Fmt::sprintln);
    f.put("printf", Builtins::printf);
    f.put("html", a -> html(text(a)));
    f.put("js", a -> js(text(a)));
    f.put("urlquery", a -> urlquery(text(a)));
    Sprig.register(f);
    return Map.copyOf(f);
  }

  static List<Object> arity(List<Object> a, int n, String fn) {
    if (a.size() != n) {
      throw new BadCall(-1, "wrong number of args for " + fn + ": want " + n + " got " + a.size());
    }
    return a;
  }

  static List<Object> atLeast(List<Object> a, int n, String fn) {
    if (a.size() < n) {
      throw new BadCall(
          -1, "wrong number of args for " + fn + ": want at least " + n + " got " + a.size());
    }
    return a;
  }

  private static Object eq(List<Object> a) {
    if (atLeast(a, 1, "eq").size() < 2) {
      throw new IllegalArgumentException("missing argument for comparison");
    }
    for (Object b : a.subList(1, a.size())) {
      if (GoValues.equal(a.get(0), b)) {
        return true;
      }
    }
    return false;
  }

  private static Object printf(List<Object> a) {
    if (!(atLeast(a, 1, "printf").get(0) instanceof String format)) {
      throw new BadCall(0, "expected string; found " + Fmt.value(a.get(0)));
    }
    return Fmt.sprintf(format, a.subList(1, a.size()));
  }

  static long len(Object v) {
    if (v == GoValues.ZERO) {
      return 0;
    }
    if (v instanceof String s) {
      return s.getBytes(StandardCharsets.UTF_8).length;
    }
    if (v instanceof List<?> l) {
      return l.size();
    }
    Map<String, Object> m = GoValues.asMap(v);
    if (m != null) {
      return m.size();
    }
    throw new IllegalArgumentException(
        v == null ? "len of untyped nil" : "len of type " + GoValues.typeName(v));
  }

  private static Object index(List<Object> a) {
    Object v = atLeast(a, 1, "index").get(0);
    if (v == null) {
      throw new IllegalArgumentException("index of untyped nil");
    }
    for (Object k : a.subList(1, a.size())) {
      if (v == GoValues.ZERO || v == null) {
        return v;
      }
      Map<String, Object> m = GoValues.asMap(v);
      if (m != null) {
        if (!(k instanceof String key)) {
          throw new IllegalArgumentException(
              "value has type " + GoValues.typeName(k) + "; should be string");
        }
        v = m.get(key);
      } else if (v instanceof List<?> l) {
        v = l.get(position(k, l.size() - 1));
      } else if (v instanceof String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        v = (long) (bytes[position(k, bytes.length - 1)] & 0xff);
      } else {
        throw new IllegalArgumentException("can't index item of type " + GoValues.typeName(v));
      }
    }
    return v;
  }

  /** An index argument, at most {@code max}: Go's {@code indexArg}. */
  private static int position(Object k, int max) {
    if (k == null) {
      throw new IllegalArgumentException("cannot index slice/array with nil");
    }
    if (!(k instanceof Long || k instanceof Integer)) {
      throw new IllegalArgumentException(
          "cannot index slice/array with type " + GoValues.typeName(k));
    }
    long i = ((Number) k).longValue();
    if (i < 0 || i > max) {
      throw new IllegalArgumentException("index out of range: " + i);
    }
    return (int) i;
  }

  private static Object slice(List<Object> a) {
    Object v = atLeast(a, 1, "slice").get(0);
    List<Object> indexes = a.subList(1, a.size());
    if (v == null) {
      throw new IllegalArgumentException("slice of untyped nil");
    }
    if (indexes.size() > 3) {
      throw new IllegalArgumentException("too many slice indexes: " + indexes.size());
    }
    byte[] bytes = v instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : null;
    if (bytes != null && indexes.size() == 3) {
      throw new IllegalArgumentException("cannot 3-index slice a string");
    }
    if (bytes == null && !(v instanceof List)) {
      throw new IllegalArgumentException("can't slice item of type " + GoValues.typeName(v));
    }
    int len = bytes != null ? bytes.length : ((List<?>) v).size();
    int[] idx = {0, len, len};
    for (int i = 0; i < indexes.size(); i++) {
      idx[i] = position(indexes.get(i), len);
    }
    for (int i = 1; i < Math.max(2, indexes.size()); i++) {
      if (idx[i - 1] > idx[i]) {
        throw new IllegalArgumentException("invalid slice index: " + idx[i - 1] + " > " + idx[i]);
      }
    }
    return bytes != null
        ? new String(Arrays.copyOfRange(bytes, idx[0], idx[1]), StandardCharsets.UTF_8)
        : new ArrayList<Object>(((List<?>) v).subList(idx[0], idx[1]));
  }

  /** The text {@code html}, {@code js} and {@code urlquery} escape: Go's {@code evalArgs}. */
  private static String text(List<Object> a) {
    if (a.size() == 1 && a.get(0) instanceof String s) {
      return s;
    }
    return Fmt.sprint(a.stream().map(x -> x == null ? (Object) "<no value>" : x).toList());
  }

  /**
   * Go's {@code url.QueryEscape}: as Java's form encoding, but {@code ~} kept, {@code *} escaped.
   */
  static String urlquery(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("*", "%2A").replace("%7E", "~");
  }

  /** Go's {@code template.HTMLEscapeString}. */
  static String html(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      switch (c) {
        case 0 -> b.append('\uFFFD');
        case '"' -> b.append("&#34;");
        case '\'' -> b.append("&#39;");
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** Go's {@code template.JSEscapeString}. */
  static String js(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '\\' -> b.append("\\\\");
                case '\'' -> b.append("\\'");
                case '"' -> b.append("\\\"");
                case '<' -> b.append("\\u003C");
                case '>' -> b.append("\\u003E");
                case '&' -> b.append("\\u0026");
                case '=' -> b.append("\\u003D");
                default -> {
                  if (c < ' ' || (c >= 0x80 && !printable(c))) {
                    b.append(String.format("\\u%04X", c));
                  } else {
                    b.appendCodePoint(c);
                  }
                }
              }
            });
    return b.toString();
  }

  /** Go's {@code unicode.IsPrint}: letters, marks, numbers, punctuation, symbols, ASCII space. */
  private static boolean printable(int c) {
    int t = Character.getType(c);
    return !(t == Character.CONTROL
        || t == Character.FORMAT
        || t == Character.SURROGATE
        || t == Character.PRIVATE_USE
        || t == Character.UNASSIGNED
        || t == Character.LINE_SEPARATOR
        || t == Character.PARAGRAPH_SEPARATOR
        || t == Character.SPACE_SEPARATOR);
  }
}
