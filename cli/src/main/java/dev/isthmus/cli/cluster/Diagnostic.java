package dev.isthmus.cli.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Diagnostic} is one finding of {@code analyze} or {@code x precheck}, printed the way
 * istioctl prints its analysis messages: {@code Error [IST0101] (VirtualService default/x) ...}.
 *
 * @param level Error, Warning or Info
 * @param code Istio's analysis code (IST0101, ...), or null where Istio has none for the finding
 * @param origin {@code Kind namespace/name}, {@code Kind name} or {@code Cluster}
 * @param reference where the object came from ({@code file.yaml:12}), or null
 * @param message the text
 */
public record Diagnostic(
    Level level, String code, String origin, String reference, String message) {
  /** Severity, worst first. */
  public enum Level {
    Error,
    Warning,
    Info;

    /** Parses {@code error}, {@code Warning}, ... ignoring case; null when unknown. */
    static Level parse(String s) {
      for (Level l : values()) {
        if (l.name().equalsIgnoreCase(s)) {
          return l;
        }
      }
      return null;
    }

    boolean atLeast(Level threshold) {
      return ordinal() <= threshold.ordinal();
    }
  }

  static Diagnostic error(String code, String origin, String message) {
    return new Diagnostic(Level.Error, code, origin, null, message);
  }

  static Diagnostic warning(String code, String origin, String message) {
    return new Diagnostic(Level.Warning, code, origin, null, message);
  }

  static Diagnostic info(String code, String origin, String message) {
    return new Diagnostic(Level.Info, code, origin, null, message);
  }

  Diagnostic at(String ref) {
    return new Diagnostic(level, code, origin, ref, message);
  }

  /** One log line, as istioctl's {@code log} output. */
  public String line() {
    StringBuilder sb = new StringBuilder(level.name());
    if (code != null) {
      sb.append(" [").append(code).append(']');
    }
    sb.append(" (").append(origin);
    if (reference != null) {
      sb.append(' ').append(reference);
    }
    sb.append(") ").append(message);
    return sb.toString();
  }

  /** Sorted by level, then code, then origin, as istioctl sorts its messages. */
  static final Comparator<Diagnostic> ORDER =
      Comparator.comparing(Diagnostic::level)
          .thenComparing(d -> d.code() == null ? "~" : d.code())
          .thenComparing(Diagnostic::origin)
          .thenComparing(Diagnostic::message);

  /** Checks an {@code --output} value: null when valid, else what is wrong. */
  static String invalidFormat(String format) {
    return List.of("log", "json", "yaml").contains(format)
        ? null
        : "--output " + format + ": expected one of log, json, yaml";
  }

  /** Prints {@code ds} in {@code log}, {@code json} or {@code yaml}. */
  static void print(PrintStream out, List<Diagnostic> ds, String format) {
    if (format.equals("log")) {
      ds.forEach(d -> out.println(d.line()));
      return;
    }
    List<Map<String, Object>> rows =
        ds.stream()
            .map(
                d -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  if (d.code() != null) {
                    m.put("code", d.code());
                  }
                  m.put("level", d.level().name());
                  m.put("message", d.message());
                  m.put("origin", d.origin());
                  if (d.reference() != null) {
                    m.put("reference", d.reference());
                  }
                  return m;
                })
            .toList();
    try {
      var mapper = format.equals("json") ? Serialization.jsonMapper() : Serialization.yamlMapper();
      out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(rows).strip());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
