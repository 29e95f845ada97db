package dev.isthmus.gotmpl;

import java.util.List;

/**
 * {@code Printf} is the subset of Go's {@code fmt.Sprintf} templates use: verbs {@code %v}, {@code
 * %s}, {@code %d}, {@code %t}, {@code %q}, {@code %f}, {@code %x} and {@code %%}, with an optional
 * width.
 */
final class Printf {
  private Printf() {}

  static String format(String fmt, List<Object> args) {
    StringBuilder b = new StringBuilder();
    int arg = 0;
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c != '%' || i + 1 >= fmt.length()) {
        b.append(c);
        continue;
      }
      int j = i + 1;
      boolean left = false;
      if (fmt.charAt(j) == '-') {
        left = true;
        j++;
      }
      int width = 0;
      while (j < fmt.length() && Character.isDigit(fmt.charAt(j))) {
        width = width * 10 + (fmt.charAt(j++) - '0');
      }
      if (j >= fmt.length()) {
        b.append(fmt, i, j);
        break;
      }
      char verb = fmt.charAt(j);
      i = j;
      if (verb == '%') {
        b.append('%');
        continue;
      }
      if (arg >= args.size()) {
        b.append("%!").append(verb).append("(MISSING)");
        continue;
      }
      Object v = args.get(arg++);
      String s =
          switch (verb) {
            case 'q' -> Sprig.goQuote(GoValues.print(v));
            case 'd' -> String.valueOf(GoValues.toLong(v));
            case 'f' -> String.format("%f", ((Number) v).doubleValue());
            case 'x' ->
                v instanceof Number n
                    ? Long.toHexString(n.longValue())
                    : hex(GoValues.print(v).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            default -> v == null ? "<nil>" : GoValues.print(v);
          };
      String pad = " ".repeat(Math.max(0, width - s.length()));
      b.append(left ? s + pad : pad + s);
    }
    return b.toString();
  }

  private static String hex(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      b.append(String.format("%02x", x));
    }
    return b.toString();
  }
}
