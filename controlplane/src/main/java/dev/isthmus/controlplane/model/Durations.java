package dev.isthmus.controlplane.model;

import com.google.protobuf.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code Durations} parses Istio duration strings ({@code 1.5s}, {@code 300ms}, {@code 1h}). */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|µs|ns)");

  private Durations() {}

  /**
   * Parses a Go-style duration into a protobuf {@link Duration}.
   *
   * @throws IllegalArgumentException when the value is not a duration
   */
  public static Duration parse(String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("expected a duration such as 1s or 250ms, got empty");
    }
    Matcher m = PART.matcher(value);
    int at = 0;
    double nanos = 0;
    while (at < value.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new IllegalArgumentException(
            "expected a duration such as 1s or 250ms, got '" + value + "'");
      }
      double n = Double.parseDouble(m.group(1));
      nanos +=
          switch (m.group(2)) {
            case "h" -> n * 3600e9;
            case "m" -> n * 60e9;
            case "s" -> n * 1e9;
            case "ms" -> n * 1e6;
            case "us", "µs" -> n * 1e3;
            default -> n;
          };
      at = m.end();
    }
    long total = (long) nanos;
    return Duration.newBuilder()
        .setSeconds(total / 1_000_000_000L)
        .setNanos((int) (total % 1_000_000_000L))
        .build();
  }

  /** A duration of whole milliseconds. */
  public static Duration millis(long ms) {
    return Duration.newBuilder()
        .setSeconds(ms / 1000)
        .setNanos((int) (ms % 1000) * 1_000_000)
        .build();
  }
}
