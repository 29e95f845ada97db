package dev.isthmus.gotmpl;

import static dev.isthmus.gotmpl.GoValues.print;
import static dev.isthmus.gotmpl.GoValues.toLong;
import static dev.isthmus.gotmpl.GoValues.truth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code Sprig} implements the Sprig functions Helm-style and Istio templates use: defaults and
 * emptiness, strings, lists, dicts, conversion, arithmetic, encoding and YAML/JSON output. Argument
 * order follows Sprig (the piped value last, e.g. {@code trimSuffix "-" $s}).
 */
final class Sprig {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
  static final ObjectMapper YAML =
      new ObjectMapper(
              new YAMLFactory()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .disable(YAMLGenerator.Feature.SPLIT_LINES))
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private Sprig() {}

  static void register(Map<String, Function> f) {
    f.put("default", a -> a.size() < 2 || !truth(a.get(1)) ? a.get(0) : a.get(1));
    f.put("empty", a -> !truth(a.get(0)));
    f.put("coalesce", a -> a.stream().filter(GoValues::truth).findFirst().orElse(null));
    f.put("ternary", a -> truth(a.get(2)) ? a.get(0) : a.get(1));
    f.put("required", a -> required(a));
    f.put(
        "fail",
        a -> {
          throw new IllegalArgumentException(print(a.get(0)));
        });
    f.put("quote", a -> quote(a, true));
    f.put("squote", a -> quote(a, false));
    f.put("toString", a -> print(a.get(0)));
    f.put("toYaml", a -> toYaml(a.get(0)).stripTrailing());
    f.put("toJson", a -> toJson(a.get(0), false));
    f.put("mustToJson", a -> toJson(a.get(0), false));
    f.put("toRawJson", a -> toJson(a.get(0), false));
    f.put("toPrettyJson", a -> toJson(a.get(0), true));
    f.put("fromJson", a -> fromJson(print(a.get(0))));
    f.put("indent", a -> indent((int) toLong(a.get(0)), print(a.get(1))));
    f.put("nindent", a -> "\n" + indent((int) toLong(a.get(0)), print(a.get(1))));
    f.put("join", a -> String.join(print(a.get(0)), strings(a.get(1))));
    f.put("splitList", a -> List.<Object>copyOf(splitAll(print(a.get(1)), print(a.get(0)))));
    f.put("split", a -> split(print(a.get(0)), print(a.get(1))));
    f.put("contains", a -> print(a.get(1)).contains(print(a.get(0))));
    f.put("hasPrefix", a -> print(a.get(1)).startsWith(print(a.get(0))));
    f.put("hasSuffix", a -> print(a.get(1)).endsWith(print(a.get(0))));
    f.put("trimPrefix", a -> trimPrefix(print(a.get(0)), print(a.get(1))));
    f.put("trimSuffix", a -> trimSuffix(print(a.get(0)), print(a.get(1))));
    f.put("trim", a -> print(a.get(0)).strip());
    f.put("trimAll", a -> trimAll(print(a.get(0)), print(a.get(1))));
    f.put("trunc", a -> trunc((int) toLong(a.get(0)), print(a.get(1))));
    f.put("lower", a -> print(a.get(0)).toLowerCase(Locale.ROOT));
    f.put("upper", a -> print(a.get(0)).toUpperCase(Locale.ROOT));
    f.put("toLower", a -> print(a.get(0)).toLowerCase(Locale.ROOT));
    f.put("toUpper", a -> print(a.get(0)).toUpperCase(Locale.ROOT));
    f.put("title", a -> title(print(a.get(0))));
    f.put("replace", a -> print(a.get(2)).replace(print(a.get(0)), print(a.get(1))));
    f.put("repeat", a -> repeat(toLong(a.get(0)), print(a.get(1))));
    f.put(
        "regexMatch",
        a -> java.util.regex.Pattern.compile(print(a.get(0))).matcher(print(a.get(1))).find());
    f.put("b64enc", a -> Base64.getEncoder().encodeToString(bytes(a.get(0))));
    f.put(
        "b64dec",
        a ->
            new String(
                Base64.getDecoder().decode(print(a.get(0))),
                java.nio.charset.StandardCharsets.UTF_8));
    Collections.register(f);
  }

  private static byte[] bytes(Object v) {
    return print(v).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static Object required(List<Object> a) {
    if (!truth(a.get(1)) && !(a.get(1) instanceof Boolean) && !(a.get(1) instanceof Number)) {
      throw new IllegalArgumentException(print(a.get(0)));
    }
    return a.get(1);
  }

  private static String quote(List<Object> a, boolean dbl) {
    List<String> out = new ArrayList<>();
    for (Object v : a) {
      if (v != null) {
        out.add(dbl ? Fmt.quote(print(v), '"') : "'" + print(v) + "'");
      }
    }
    return String.join(" ", out);
  }

  /** YAML of a value, keys sorted, with a trailing newline (as Go's yaml.Marshal). */
  static String toYaml(Object v) {
    if (v == null) {
      return "null\n";
    }
    try {
      return YAML.writeValueAsString(GoValues.plain(v));
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot marshal to YAML: " + e.getMessage(), e);
    }
  }

  static String toJson(Object v, boolean pretty) {
    try {
      Object p = GoValues.plain(v);
      return pretty
          ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(p)
          : JSON.writeValueAsString(p);
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot marshal to JSON: " + e.getMessage(), e);
    }
  }

  static Object fromJson(String s) {
    try {
      return GoValues.plain(JSON.readTree(s));
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot parse JSON: " + e.getMessage(), e);
    }
  }

  /** Sprig's {@code repeat}, refusing results longer than an execution may write. */
  private static String repeat(long count, String s) {
    if (count < 0) {
      throw new IllegalArgumentException("negative repeat count " + count);
    }
    if (count * (double) s.length() > Exec.MAX_OUTPUT) {
      throw new IllegalArgumentException(
          "repeat count " + count + " exceeds the output limit of " + Exec.MAX_OUTPUT);
    }
    return s.repeat((int) count);
  }

  /** Sprig's {@code indent}: every line, the first included, gets {@code n} spaces. */
  static String indent(int n, String s) {
    long lines = s.chars().filter(c -> c == '\n').count() + 1;
    if (n > 0 && (double) n * lines + s.length() > Exec.MAX_OUTPUT) {
      throw new IllegalArgumentException(
          "indent " + n + " exceeds the output limit of " + Exec.MAX_OUTPUT);
    }
    String pad = " ".repeat(Math.max(0, n));
    return pad + s.replace("\n", "\n" + pad);
  }

  static List<String> strings(Object v) {
    if (v instanceof List<?> l) {
      return l.stream().filter(x -> x != null).map(GoValues::print).toList();
    }
    if (v instanceof String s) {
      return List.of(s);
    }
    return v == null ? List.of() : List.of(print(v));
  }

  private static List<String> splitAll(String s, String sep) {
    List<String> out = new ArrayList<>();
    if (sep.isEmpty()) {
      s.codePoints().forEach(c -> out.add(new String(Character.toChars(c))));
      return out;
    }
    int from = 0;
    while (true) {
      int i = s.indexOf(sep, from);
      if (i < 0) {
        out.add(s.substring(from));
        return out;
      }
      out.add(s.substring(from, i));
      from = i + sep.length();
    }
  }

  private static Map<String, Object> split(String sep, String s) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<String> parts = splitAll(s, sep);
    for (int i = 0; i < parts.size(); i++) {
      out.put("_" + i, parts.get(i));
    }
    return out;
  }

  private static String trimPrefix(String prefix, String s) {
    return !prefix.isEmpty() && s.startsWith(prefix) ? s.substring(prefix.length()) : s;
  }

  private static String trimSuffix(String suffix, String s) {
    return !suffix.isEmpty() && s.endsWith(suffix)
        ? s.substring(0, s.length() - suffix.length())
        : s;
  }

  private static String trimAll(String cut, String s) {
    int a = 0;
    int b = s.length();
    while (a < b && cut.indexOf(s.charAt(a)) >= 0) {
      a++;
    }
    while (b > a && cut.indexOf(s.charAt(b - 1)) >= 0) {
      b--;
    }
    return s.substring(a, b);
  }

  private static String trunc(int n, String s) {
    if (n < 0) {
      return s.length() + n > 0 ? s.substring(s.length() + n) : s;
    }
    return s.length() > n ? s.substring(0, n) : s;
  }

  private static String title(String s) {
    StringBuilder b = new StringBuilder();
    boolean start = true;
    for (char c : s.toCharArray()) {
      b.append(start ? Character.toUpperCase(c) : c);
      start = Character.isWhitespace(c);
    }
    return b.toString();
  }

  /** Sprig's {@code keys}: a dict's keys, sorted here for a stable output. */
  static List<Object> keys(List<Object> a) {
    LinkedHashSet<String> keys = new LinkedHashSet<>();
    for (Object d : a) {
      Map<String, Object> m = GoValues.asMap(d);
      if (m != null) {
        keys.addAll(new TreeMap<>(m).keySet());
      }
    }
    return new ArrayList<>(keys);
  }
}
