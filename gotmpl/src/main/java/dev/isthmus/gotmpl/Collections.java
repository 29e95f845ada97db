package dev.isthmus.gotmpl;

import static dev.isthmus.gotmpl.GoValues.print;
import static dev.isthmus.gotmpl.GoValues.toList;
import static dev.isthmus.gotmpl.GoValues.toLong;
import static dev.isthmus.gotmpl.GoValues.truth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Collections} holds Sprig's list, dict, conversion and arithmetic functions. Lists and
 * dicts they build are ordinary mutable Java collections; {@code set} and {@code unset} change the
 * dict in place and return it, as Sprig does.
 */
final class Collections {
  /** The longest list {@code until} builds; a million numbers already has no place in a pod. */
  static final long MAX_UNTIL = 1_000_000;

  private Collections() {}

  static void register(Map<String, Function> f) {
    f.put("list", a -> new ArrayList<>(a));
    f.put("dict", Collections::dict);
    f.put(
        "set",
        a -> {
          dictArg(a.get(0)).put(print(a.get(1)), a.get(2));
          return a.get(0);
        });
    f.put(
        "unset",
        a -> {
          dictArg(a.get(0)).remove(print(a.get(1)));
          return a.get(0);
        });
    f.put(
        "hasKey",
        a -> {
          var m = GoValues.asMap(a.get(0));
          return m != null && m.containsKey(print(a.get(1)));
        });
    f.put(
        "get",
        a -> {
          var m = GoValues.asMap(a.get(0));
          Object v = m == null ? null : m.get(print(a.get(1)));
          return v == null ? "" : v;
        });
    f.put("keys", Sprig::keys);
    f.put("values", a -> new ArrayList<>(dictArg(a.get(0)).values()));
    f.put("merge", Collections::merge);
    f.put(
        "deepCopy",
        a -> GoValues.plain(GoValues.plain(Sprig.fromJson(Sprig.toJson(a.get(0), false)))));
    f.put("append", a -> add(a, false));
    f.put("mustAppend", a -> add(a, false));
    f.put("prepend", a -> add(a, true));
    f.put(
        "concat",
        a -> {
          List<Object> l = new ArrayList<>();
          a.forEach(x -> l.addAll(toList(x)));
          return l;
        });
    f.put("first", a -> toList(a.get(0)).isEmpty() ? null : toList(a.get(0)).get(0));
    f.put(
        "last",
        a -> {
          var l = toList(a.get(0));
          return l.isEmpty() ? null : l.get(l.size() - 1);
        });
    f.put(
        "rest",
        a -> {
          var l = toList(a.get(0));
          return l.isEmpty() ? l : new ArrayList<Object>(l.subList(1, l.size()));
        });
    f.put(
        "initial",
        a -> {
          var l = toList(a.get(0));
          return l.isEmpty() ? l : new ArrayList<Object>(l.subList(0, l.size() - 1));
        });
    f.put("has", a -> toList(a.get(1)).stream().anyMatch(x -> GoValues.equal(x, a.get(0))));
    f.put(
        "uniq", a -> new ArrayList<Object>(new java.util.LinkedHashSet<Object>(toList(a.get(0)))));
    f.put(
        "compact",
        a -> new ArrayList<Object>(toList(a.get(0)).stream().filter(GoValues::truth).toList()));
    f.put(
        "sortAlpha",
        a -> new ArrayList<Object>(Sprig.strings(a.get(0)).stream().sorted().toList()));
    f.put(
        "atoi",
        a -> {
          try {
            return Long.parseLong(print(a.get(0)).trim());
          } catch (NumberFormatException e) {
            return 0L;
          }
        });
    f.put("int", a -> toNumberOrZero(a.get(0)));
    f.put("int64", a -> toNumberOrZero(a.get(0)));
    f.put(
        "float64",
        a -> a.get(0) instanceof Number n ? n.doubleValue() : Double.parseDouble(print(a.get(0))));
    f.put("add", a -> a.stream().mapToLong(GoValues::toLong).sum());
    f.put("add1", a -> toLong(a.get(0)) + 1);
    f.put("sub", a -> toLong(a.get(0)) - toLong(a.get(1)));
    f.put("mul", a -> a.stream().mapToLong(GoValues::toLong).reduce(1, (x, y) -> x * y));
    f.put("div", a -> toLong(a.get(0)) / toLong(a.get(1)));
    f.put("mod", a -> toLong(a.get(0)) % toLong(a.get(1)));
    f.put("max", a -> a.stream().mapToLong(GoValues::toLong).max().orElse(0));
    f.put("min", a -> a.stream().mapToLong(GoValues::toLong).min().orElse(0));
    f.put(
        "until",
        a -> {
          long n = toLong(a.get(0));
          if (n > MAX_UNTIL) {
            throw new IllegalArgumentException(
                "count " + n + " exceeds the limit of " + MAX_UNTIL + " elements");
          }
          List<Object> l = new ArrayList<>();
          for (long i = 0; i < n; i++) {
            l.add(i);
          }
          return l;
        });
    f.put("toStrings", a -> new ArrayList<Object>(Sprig.strings(a.get(0))));
    f.put("kindIs", a -> kind(a.get(1)).equals(print(a.get(0))));
    f.put("kindOf", a -> kind(a.get(0)));
    f.put("typeOf", a -> GoValues.typeName(a.get(0)));
    f.put("bool", a -> truth(a.get(0)));
  }

  /** A copy of list {@code a[0]} with {@code a[1]} added at the front or the end. */
  private static List<Object> add(List<Object> a, boolean front) {
    List<Object> l = new ArrayList<>(toList(a.get(0)));
    l.add(front ? 0 : l.size(), a.get(1));
    return l;
  }

  private static Object toNumberOrZero(Object v) {
    try {
      return v instanceof Double d ? (long) d.doubleValue() : toLong(v);
    } catch (IllegalArgumentException e) {
      return 0L;
    }
  }

  private static String kind(Object v) {
    if (v == null) {
      return "invalid";
    }
    if (v instanceof List) {
      return "slice";
    }
    if (v instanceof Map || v instanceof GoStruct) {
      return "map";
    }
    return GoValues.typeName(v).equals("int") ? "int64" : GoValues.typeName(v);
  }

  private static Map<String, Object> dict(List<Object> a) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < a.size(); i += 2) {
      m.put(print(a.get(i)), i + 1 < a.size() ? a.get(i + 1) : "");
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> dictArg(Object v) {
    if (v instanceof GoStruct s) {
      return s.fields();
    }
    if (v instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    throw new IllegalArgumentException("expected a dict, got " + GoValues.typeName(v));
  }

  /** Sprig's {@code merge}: keys of later dicts fill what the first lacks, recursively. */
  private static Object merge(List<Object> a) {
    Map<String, Object> dst = dictArg(a.get(0));
    for (Object src : a.subList(1, a.size())) {
      mergeInto(dst, dictArg(src));
    }
    return dst;
  }

  @SuppressWarnings("unchecked")
  private static void mergeInto(Map<String, Object> dst, Map<String, Object> src) {
    src.forEach(
        (k, v) -> {
          Object d = dst.get(k);
          if (d == null) {
            dst.put(k, v);
          } else if (d instanceof Map && v instanceof Map) {
            mergeInto((Map<String, Object>) d, (Map<String, Object>) v);
          }
        });
  }
}
