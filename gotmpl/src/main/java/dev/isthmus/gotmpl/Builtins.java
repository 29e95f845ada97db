package dev.isthmus.gotmpl;

import static dev.isthmus.gotmpl.GoValues.print;
import static dev.isthmus.gotmpl.GoValues.toList;
import static dev.isthmus.gotmpl.GoValues.toLong;
import static dev.isthmus.gotmpl.GoValues.truth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Builtins} are Go's predefined template functions ({@code and}, {@code or}, {@code not},
 * {@code eq} with several operands, {@code ne}, {@code lt}, {@code le}, {@code gt}, {@code ge},
 * {@code len}, {@code index}, {@code slice}, {@code print}, {@code printf}, {@code println}) plus
 * the Sprig functions in {@link Sprig}. {@code and}/{@code or} are listed here but evaluated lazily
 * by the engine.
 */
final class Builtins {
  static final Map<String, Function> FUNCTIONS = build();

  private Builtins() {}

  private static Map<String, Function> build() {
    Map<String, Function> f = new HashMap<>();
    f.put("and", a -> a.get(a.size() - 1));
    f.put("or", a -> a.get(a.size() - 1));
    f.put("not", a -> !truth(arity(a, 1, "not").get(0)));
    f.put("eq", Builtins::eq);
    f.put("ne", a -> !GoValues.equal(arity(a, 2, "ne").get(0), a.get(1)));
    f.put("lt", a -> GoValues.compare(arity(a, 2, "lt").get(0), a.get(1)) < 0);
    f.put("le", a -> GoValues.compare(arity(a, 2, "le").get(0), a.get(1)) <= 0);
    f.put("gt", a -> GoValues.compare(arity(a, 2, "gt").get(0), a.get(1)) > 0);
    f.put("ge", a -> GoValues.compare(arity(a, 2, "ge").get(0), a.get(1)) >= 0);
    f.put("len", a -> len(arity(a, 1, "len").get(0)));
    f.put("index", Builtins::index);
    f.put("slice", Builtins::slice);
    f.put("print", a -> sprint(a));
    f.put("println", a -> String.join(" ", a.stream().map(GoValues::print).toList()) + "\n");
    f.put("printf", a -> Printf.format(print(a.get(0)), a.subList(1, a.size())));
    Sprig.register(f);
    return Map.copyOf(f);
  }

  static List<Object> arity(List<Object> a, int n, String fn) {
    if (a.size() != n) {
      throw new IllegalArgumentException(
          "wrong number of args for " + fn + ": want " + n + " got " + a.size());
    }
    return a;
  }

  private static Object eq(List<Object> a) {
    if (a.size() < 2) {
      throw new IllegalArgumentException("missing argument for comparison");
    }
    for (int i = 1; i < a.size(); i++) {
      if (GoValues.equal(a.get(0), a.get(i))) {
        return true;
      }
    }
    return false;
  }

  static long len(Object v) {
    if (v == null) {
      return 0;
    }
    if (v instanceof String s) {
      return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
    if (v instanceof List<?> l) {
      return l.size();
    }
    Map<String, Object> m = GoValues.asMap(v);
    if (m != null) {
      return m.size();
    }
    throw new IllegalArgumentException("len of type " + GoValues.typeName(v));
  }

  private static Object index(List<Object> a) {
    if (a.isEmpty()) {
      throw new IllegalArgumentException("wrong number of args for index: want at least 1 got 0");
    }
    Object v = a.get(0);
    for (Object k : a.subList(1, a.size())) {
      if (v == null) {
        return null;
      }
      if (v instanceof List<?> l) {
        long i = toLong(k);
        if (i < 0 || i >= l.size()) {
          throw new IllegalArgumentException("index out of range: " + i);
        }
        v = l.get((int) i);
      } else if (GoValues.asMap(v) != null) {
        v = GoValues.asMap(v).get(print(k));
      } else {
        throw new IllegalArgumentException("can't index item of type " + GoValues.typeName(v));
      }
    }
    return v;
  }

  private static Object slice(List<Object> a) {
    Object v = a.get(0);
    int from = a.size() > 1 ? (int) toLong(a.get(1)) : 0;
    if (v instanceof String s) {
      int to = a.size() > 2 ? (int) toLong(a.get(2)) : s.length();
      return s.substring(from, to);
    }
    List<?> l = toList(v);
    int to = a.size() > 2 ? (int) toLong(a.get(2)) : l.size();
    return new ArrayList<Object>(l.subList(from, to));
  }

  /** {@code fmt.Sprint}: operands joined, with a space between two that are not strings. */
  static String sprint(List<Object> a) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < a.size(); i++) {
      if (i > 0 && !(a.get(i) instanceof String) && !(a.get(i - 1) instanceof String)) {
        b.append(' ');
      }
      b.append(a.get(i) == null ? "<nil>" : print(a.get(i)));
    }
    return b.toString();
  }
}
