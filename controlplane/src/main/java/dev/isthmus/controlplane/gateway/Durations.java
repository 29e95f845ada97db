package dev.isthmus.controlplane.gateway;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Gateway API durations ({@code 1h30m}, {@code 500ms}) in protobuf JSON form ({@code 5400s}). */
final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|us|µs|ns|m|s)");

  private Durations() {}

  /** The canonical form, or null when {@code d} is null or not a duration. */
  static String canonical(String d) {
    if (d == null || d.isEmpty()) {
      return null;
    }
    Matcher m = PART.matcher(d);
    BigDecimal seconds = BigDecimal.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        return null;
      }
      end = m.end();
      BigDecimal v = new BigDecimal(m.group(1));
      seconds =
          seconds.add(
              switch (m.group(2)) {
                case "h" -> v.multiply(BigDecimal.valueOf(3600));
                case "m" -> v.multiply(BigDecimal.valueOf(60));
                case "ms" -> v.movePointLeft(3);
                case "us", "µs" -> v.movePointLeft(6);
                case "ns" -> v.movePointLeft(9);
                default -> v;
              });
    }
    if (end != d.length()) {
      return null;
    }
    return seconds.signum() == 0 ? "0s" : seconds.stripTrailingZeros().toPlainString() + "s";
  }
}
