package dev.isthmus.operator.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code DurationConverter} reads Go's durations as istioctl and istiod take them ({@code 300s},
 * {@code 5m}, {@code 1h30m}, {@code 500ms}), or ISO-8601 ({@code PT5M}).
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    if (value.startsWith("P") || value.startsWith("p")) {
      try {
        return Duration.parse(value);
      } catch (RuntimeException e) {
        throw new TypeConversionException("not a duration: " + value);
      }
    }
    Matcher m = PART.matcher(value);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
      end = m.end();
    }
    if (end == 0 || end != value.length()) {
      throw new TypeConversionException(
          "not a duration: " + value + " (expected e.g. 300s, 5m, 1h30m)");
    }
    return total;
  }
}
