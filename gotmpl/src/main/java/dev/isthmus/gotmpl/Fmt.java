package dev.isthmus.gotmpl;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code Fmt} is Go's {@code fmt.Sprint}, {@code Sprintln} and {@code Sprintf} for template values:
 * verbs {@code %v %s %d %q %t %f %F %e %E %g %G %x %X %o %O %b %c %U %T %%}, flags {@code + - # 0}
 * and space, width and precision (also {@code *}), explicit argument indexes {@code %[n]d}, and
 * Go's error forms ({@code %!d(string=x)}, {@code %!d(MISSING)}, {@code %!(EXTRA int=2)}). Lists
 * and maps format element by element with the same verb, map keys sorted; nil is {@code <nil>}.
 */
final class Fmt {
  private Fmt() {}

  /** {@code fmt.Sprint}: a space between two operands when neither is a string. */
  static String sprint(List<Object> a) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < a.size(); i++) {
      if (i > 0 && !(a.get(i) instanceof String) && !(a.get(i - 1) instanceof String)) {
        b.append(' ');
      }
      b.append(value(a.get(i)));
    }
    return b.toString();
  }

  /** {@code fmt.Sprintln}: operands always separated by spaces, then a newline. */
  static String sprintln(List<Object> a) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < a.size(); i++) {
      b.append(i > 0 ? " " : "").append(value(a.get(i)));
    }
    return b.append('\n').toString();
  }

  /** {@code %v} of one value. */
  static String value(Object v) {
    return format(v, new Spec(), 'v', 0);
  }

  private static final List<Map.Entry<Class<?>, String>> TYPES =
      List.of(
          Map.entry(String.class, "string"),
          Map.entry(Long.class, "int"),
          Map.entry(Integer.class, "int"),
          Map.entry(Double.class, "float64"),
          Map.entry(Boolean.class, "bool"),
          Map.entry(List.class, "[]interface {}"),
          Map.entry(Function.class, "func(...)"),
          Map.entry(GoStruct.class, "struct"),
          Map.entry(Map.class, "map[string]interface {}"));

  /** The Go type of a value, as {@code %T} prints it. */
  static String typeName(Object v) {
    for (var t : TYPES) {
      if (t.getKey().isInstance(v)) {
        return t.getValue();
      }
    }
    return v == null ? "<nil>" : v.getClass().getSimpleName();
  }

  private static final class Spec {
    boolean plus;
    boolean minus;
    boolean sharp;
    boolean space;
    boolean zero;
    int width = -1;
    int prec = -1;
  }

  /** {@code fmt.Sprintf}. */
  static String sprintf(String f, List<Object> args) {
    StringBuilder b = new StringBuilder();
    int arg = 0;
    boolean reordered = false;
    int i = 0;
    while (i < f.length()) {
      char c = f.charAt(i++);
      if (c != '%') {
        b.append(c);
        continue;
      }
      Spec s = new Spec();
      for (; i < f.length(); i++) {
        char x = f.charAt(i);
        if (x == '+') {
          s.plus = true;
        } else if (x == '-') {
          s.minus = true;
        } else if (x == '#') {
          s.sharp = true;
        } else if (x == ' ') {
          s.space = true;
        } else if (x == '0') {
          s.zero = true;
        } else {
          break;
        }
      }
      int[] idx = {i, arg};
      reordered |= argIndex(f, idx, args.size());
      i = idx[0];
      arg = idx[1];
      if (i < f.length() && f.charAt(i) == '*') {
        i++;
        s.width = arg < args.size() && args.get(arg) instanceof Long n ? n.intValue() : -1;
        if (arg < args.size() && args.get(arg) instanceof Long n && tooLarge(n)) {
          b.append("%!(BADWIDTH)");
          s.width = -1;
        }
        arg++;
        if (s.width < 0 && s.width != -1) {
          s.minus = true;
          s.width = -s.width;
        }
      } else {
        int start = i;
        while (i < f.length() && f.charAt(i) >= '0' && f.charAt(i) <= '9') {
          i++;
        }
        if (i > start) {
          s.width = number(f, start, i);
          // As Go: a crazy long number swallows the rest of the format.
          i = s.width < 0 ? f.length() : i;
        }
      }
      if (i < f.length() && f.charAt(i) == '.') {
        i++;
        if (i < f.length() && f.charAt(i) == '*') {
          i++;
          s.prec = arg < args.size() && args.get(arg) instanceof Long n ? n.intValue() : 0;
          if (arg < args.size() && args.get(arg) instanceof Long n && tooLarge(n)) {
            b.append("%!(BADPREC)");
            s.prec = -1;
          }
          arg++;
        } else {
          int start = i;
          while (i < f.length() && f.charAt(i) >= '0' && f.charAt(i) <= '9') {
            i++;
          }
          s.prec = i > start ? number(f, start, i) : 0;
          if (s.prec < 0) {
            i = f.length();
          }
        }
      }
      idx[0] = i;
      idx[1] = arg;
      reordered |= argIndex(f, idx, args.size());
      i = idx[0];
      arg = idx[1];
      if (i >= f.length()) {
        b.append("%!(NOVERB)");
        break;
      }
      char verb = f.charAt(i++);
      if (verb == '%') {
        b.append('%');
      } else if (arg >= args.size()) {
        b.append("%!").append(verb).append("(MISSING)");
      } else {
        b.append(format(args.get(arg++), s, verb, 0));
      }
    }
    if (!reordered && arg < args.size()) {
      b.append("%!(EXTRA ");
      for (int j = arg; j < args.size(); j++) {
        Object v = args.get(j);
        b.append(j > arg ? ", " : "").append(typeName(v));
        b.append(v == null ? "" : "=" + value(v));
      }
      b.append(')');
    }
    return b.toString();
  }

  /**
   * Go's {@code fmt} refuses widths and precisions beyond a million ({@code tooLarge}), which also
   * keeps {@code %999999999d} from allocating a gigabyte of padding.
   */
  private static boolean tooLarge(long n) {
    return n > 1_000_000 || n < -1_000_000;
  }

  /** The decimal number in {@code f[from, to)}, or -1 when {@link #tooLarge}. */
  private static int number(String f, int from, int to) {
    long n = 0;
    for (int i = from; i < to; i++) {
      n = n * 10 + (f.charAt(i) - '0');
      if (tooLarge(n)) {
        return -1;
      }
    }
    return (int) n;
  }

  /** Reads {@code [n]} at {@code idx[0]}, setting the next argument {@code idx[1]}. */
  private static boolean argIndex(String f, int[] idx, int n) {
    int i = idx[0];
    if (i >= f.length() || f.charAt(i) != '[') {
      return false;
    }
    int close = f.indexOf(']', i);
    if (close < 0) {
      return false;
    }
    try {
      idx[1] = Integer.parseInt(f.substring(i + 1, close)) - 1;
      idx[0] = close + 1;
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String format(Object v, Spec s, char verb, int depth) {
    if (verb == 'T') {
      return pad(typeName(v), s);
    }
    if (v == null || v == GoValues.ZERO) {
      return verb == 'v' || depth > 0 ? pad("<nil>", s) : "%!" + verb + "(<nil>)";
    }
    if (v instanceof List<?> l) {
      StringBuilder b = new StringBuilder(s.sharp && verb == 'v' ? "[]interface {}{" : "[");
      for (int i = 0; i < l.size(); i++) {
        b.append(i == 0 ? "" : s.sharp && verb == 'v' ? ", " : " ");
        b.append(format(l.get(i), s, verb, depth + 1));
      }
      return b.append(s.sharp && verb == 'v' ? "}" : "]").toString();
    }
    Map<String, Object> m = GoValues.asMap(v);
    if (m != null) {
      boolean go = s.sharp && verb == 'v';
      StringBuilder b = new StringBuilder(go ? "map[string]interface {}{" : "map[");
      boolean first = true;
      for (var e : new TreeMap<>(m).entrySet()) {
        b.append(first ? "" : go ? ", " : " ").append(format(e.getKey(), s, verb, depth + 1));
        b.append(':').append(format(e.getValue(), s, verb, depth + 1));
        first = false;
      }
      return b.append(go ? "}" : "]").toString();
    }
    String out;
    if (v instanceof Boolean x) {
      out = verb == 't' || verb == 'v' ? pad(x.toString(), s) : null;
    } else if (v instanceof Long || v instanceof Integer) {
      out = integer(((Number) v).longValue(), s, verb);
    } else if (v instanceof Double x) {
      out = floating(x, s, verb);
    } else if (v instanceof String x) {
      out = string(x, s, verb);
    } else {
      out = verb == 'v' ? pad(String.valueOf(v), s) : null;
    }
    return out != null ? out : "%!" + verb + "(" + typeName(v) + "=" + value(v) + ")";
  }

  private static String string(String x, Spec s, char verb) {
    String t = x;
    if (s.prec >= 0 && (verb == 's' || verb == 'v' || verb == 'q')) {
      int end = t.offsetByCodePoints(0, Math.min(s.prec, t.codePointCount(0, t.length())));
      t = t.substring(0, end);
    }
    return switch (verb) {
      case 'v' -> pad(s.sharp ? quote(t, '"') : t, s);
      case 's' -> pad(t, s);
      case 'q' -> pad(s.sharp && !t.contains("`") ? "`" + t + "`" : quote(t, '"'), s);
      case 'x', 'X' -> pad(hex(t.getBytes(StandardCharsets.UTF_8), verb == 'X'), s);
      default -> null;
    };
  }

  private static String hex(byte[] bytes, boolean upper) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      b.append(String.format(upper ? "%02X" : "%02x", x));
    }
    return b.toString();
  }

  private static String integer(long x, Spec s, char verb) {
    String digits;
    String prefix = "";
    String abs = x < 0 ? Long.toString(x).substring(1) : Long.toString(x);
    switch (verb) {
      case 'd', 'v' -> digits = abs;
      case 'b' -> digits = Long.toBinaryString(Math.abs(x));
      case 'o', 'O' -> {
        digits = Long.toOctalString(Math.abs(x));
        prefix = verb == 'O' ? "0o" : s.sharp ? "0" : "";
      }
      case 'x', 'X' -> {
        digits = Long.toHexString(Math.abs(x));
        prefix = s.sharp ? "0x" : "";
        if (verb == 'X') {
          digits = digits.toUpperCase(java.util.Locale.ROOT);
          prefix = prefix.toUpperCase(java.util.Locale.ROOT);
        }
      }
      case 'c' -> {
        return pad(new String(Character.toChars((int) x)), s);
      }
      case 'q' -> {
        return pad(quote(new String(Character.toChars((int) x)), '\''), s);
      }
      case 'U' -> {
        String h = Long.toHexString(x).toUpperCase(java.util.Locale.ROOT);
        return pad("U+" + "0".repeat(Math.max(0, 4 - h.length())) + h, s);
      }
      default -> {
        return null;
      }
    }
    if (s.prec >= 0 && digits.length() < s.prec) {
      digits = "0".repeat(s.prec - digits.length()) + digits;
    }
    String sign = x < 0 ? "-" : s.plus ? "+" : s.space ? " " : "";
    return signed(sign + prefix, digits, s);
  }

  /** Pads {@code head + digits} to the width, zeros going between sign and digits. */
  private static String signed(String head, String digits, Spec s) {
    if (s.zero && !s.minus && s.prec < 0 && s.width > head.length() + digits.length()) {
      return head + "0".repeat(s.width - head.length() - digits.length()) + digits;
    }
    return pad(head + digits, s);
  }

  private static String floating(double x, Spec s, char verb) {
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      String t = Double.isNaN(x) ? "NaN" : x > 0 ? (s.plus ? "+Inf" : "Inf") : "-Inf";
      return pad(t, s);
    }
    String body =
        switch (verb) {
          case 'v', 'g', 'G' -> general(Math.abs(x), s.prec, s.sharp);
          case 'e', 'E' -> exponent(new BigDecimal(Math.abs(x)), s.prec < 0 ? 6 : s.prec);
          case 'f', 'F' ->
              new BigDecimal(Math.abs(x))
                  .setScale(s.prec < 0 ? 6 : s.prec, RoundingMode.HALF_EVEN)
                  .toPlainString();
          default -> null;
        };
    if (body == null) {
      return null;
    }
    if (verb == 'E' || verb == 'G') {
      body = body.toUpperCase(java.util.Locale.ROOT);
    }
    boolean negative = x < 0 || (x == 0 && 1 / x < 0);
    String sign = negative ? "-" : s.plus ? "+" : s.space ? " " : "";
    return signed(sign, body, s.prec >= 0 ? withoutPrec(s) : s);
  }

  private static Spec withoutPrec(Spec s) {
    Spec t = new Spec();
    t.minus = s.minus;
    t.zero = s.zero;
    t.width = s.width;
    return t;
  }

  /** {@code %g}: shortest digits (or {@code prec} significant ones), exponent form when large. */
  private static String general(double x, int prec, boolean sharp) {
    BigDecimal d =
        prec < 0
            ? new BigDecimal(Double.toString(x))
            : new BigDecimal(x).round(new MathContext(Math.max(prec, 1), RoundingMode.HALF_EVEN));
    if (x == 0) {
      return "0";
    }
    d = d.stripTrailingZeros();
    int digits = d.precision();
    int exp = digits - d.scale() - 1;
    int eprec = prec < 0 ? 6 : Math.max(prec, 1);
    if (prec >= 0 && eprec > digits && digits >= exp + 1) {
      eprec = digits;
    }
    if (prec < 0) {
      eprec = 6;
    }
    if (exp < -4 || exp >= eprec) {
      return exponent(d, digits - 1);
    }
    return d.toPlainString();
  }

  /** {@code d.ddde±XX} with {@code prec} digits after the point. */
  private static String exponent(BigDecimal d, int prec) {
    if (d.signum() == 0) {
      return (prec > 0 ? "0." + "0".repeat(prec) : "0") + "e+00";
    }
    BigDecimal r = d.round(new MathContext(prec + 1, RoundingMode.HALF_EVEN));
    String digits = r.unscaledValue().toString();
    int exp = digits.length() - r.scale() - 1;
    if (digits.length() < prec + 1) {
      digits = digits + "0".repeat(prec + 1 - digits.length());
    } else {
      digits = digits.substring(0, prec + 1);
    }
    String mant = prec > 0 ? digits.charAt(0) + "." + digits.substring(1) : digits;
    String e = Integer.toString(Math.abs(exp));
    return mant + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" : "") + e;
  }

  private static String pad(String t, Spec s) {
    int n = s.width - t.codePointCount(0, t.length());
    if (n <= 0) {
      return t;
    }
    return s.minus ? t + " ".repeat(n) : (s.zero ? "0" : " ").repeat(n) + t;
  }

  /** Go's {@code strconv.Quote} (or {@code QuoteRune} with {@code '\''}). */
  static String quote(String s, char q) {
    StringBuilder b = new StringBuilder().append(q);
    s.codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case 7 -> b.append("\\a");
                case 8 -> b.append("\\b");
                case 12 -> b.append("\\f");
                case 11 -> b.append("\\v");
                default -> {
                  if (c == q) {
                    b.append('\\').append(q);
                  } else if (c < 0x20 || c == 0x7f) {
                    b.append(String.format("\\x%02x", c));
                  } else {
                    b.appendCodePoint(c);
                  }
                }
              }
            });
    return b.append(q).toString();
  }
}
