package dev.isthmus.controlplane.webhooks.validation;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code Checks} holds the field-level rules shared by the kind validators (hosts, durations,
 * regexes, ports).
 */
final class Checks {
  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern HOST_LABEL =
      Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?");
  private static final Pattern DURATION_PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  private static final Pattern QUALIFIED_NAME =
      Pattern.compile(
          "([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
              + "[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  // Constructs RE2 (used by Envoy and Istio) does not support, though java.util.regex does.
  private static final Pattern NON_RE2 =
      Pattern.compile("\\(\\?[=!]|\\(\\?<[=!]|\\\\[1-9]|\\(\\?>|[*+?}][+]|\\\\[zZ]\\b");

  private Checks() {}

  static boolean isDns1123Label(String s) {
    return s != null && s.length() <= 63 && DNS1123_LABEL.matcher(s).matches();
  }

  /**
   * Istio's {@code ValidateWildcardDomain}: an FQDN or short name, optionally starting with {@code
   * *.}, or {@code *}.
   */
  static void wildcardHost(Problems p, String path, String host) {
    if (host == null || host.isEmpty()) {
      p.error(path, "domain name is empty");
      return;
    }
    if (host.equals("*")) {
      return;
    }
    String rest = host.startsWith("*.") ? host.substring(2) : host;
    if (host.length() > 255) {
      p.error(path, "domain name " + quote(host) + " too long (max 255)");
      return;
    }
    if (rest.contains("*")) {
      p.error(path, "domain name " + quote(host) + " invalid (label " + quote(rest) + " invalid)");
      return;
    }
    String trimmed = rest.endsWith(".") ? rest.substring(0, rest.length() - 1) : rest;
    for (String label : trimmed.split("\\.", -1)) {
      if (label.length() > 63 || !HOST_LABEL.matcher(label).matches()) {
        p.error(
            path, "domain name " + quote(host) + " invalid (label " + quote(label) + " invalid)");
        return;
      }
    }
  }

  /** Durations are Go-style strings ({@code 10s}, {@code 1.5s}, {@code 1m30s}) of at least 1ms. */
  static void duration(Problems p, String path, String value) {
    if (value == null) {
      return;
    }
    Long nanos = parseDurationNanos(value);
    if (nanos == null) {
      p.error(
          path,
          "invalid duration " + quote(value) + " (expected e.g. \"10s\", \"1.5s\", \"100ms\")");
    } else if (nanos < 1_000_000L) {
      p.error(path, "duration must be greater than 1ms");
    }
  }

  static Long parseDurationNanos(String value) {
    if (value.isEmpty() || value.equals("0")) {
      return value.isEmpty() ? null : 0L;
    }
    Matcher m = DURATION_PART.matcher(value);
    int pos = 0;
    BigDecimal total = BigDecimal.ZERO;
    while (pos < value.length()) {
      if (!m.find(pos) || m.start() != pos) {
        return null;
      }
      BigDecimal n = new BigDecimal(m.group(1).endsWith(".") ? m.group(1) + "0" : m.group(1));
      long unit =
          switch (m.group(2)) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
          };
      total = total.add(n.multiply(BigDecimal.valueOf(unit)));
      pos = m.end();
    }
    return total.longValue();
  }

  /**
   * Regexes must compile and stay within RE2 syntax (no look-around, back-references or possessive
   * quantifiers).
   */
  static void regex(Problems p, String path, String regex) {
    if (regex == null) {
      return;
    }
    if (regex.isEmpty()) {
      p.error(path, "regex string match should not be empty");
      return;
    }
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      p.error(path, quote(regex) + " is not a valid regex: " + e.getDescription());
      return;
    }
    if (NON_RE2.matcher(regex).find()) {
      p.error(path, quote(regex) + " is not a valid regex: uses syntax RE2 does not support");
    }
  }

  static void port(Problems p, String path, Long port) {
    if (port != null && (port < 1 || port > 65535)) {
      p.error(path, "port number " + port + " must be in the range 1..65535");
    }
  }

  static void percent(Problems p, String path, Double value) {
    if (value != null && (value < 0 || value > 100)) {
      p.error(path, "percentage " + value + " must be in the range [0.0, 100.0]");
    }
  }

  static void labels(Problems p, String path, Map<String, String> labels) {
    if (labels == null) {
      return;
    }
    labels.forEach(
        (k, v) -> {
          if (k.isEmpty() || k.length() > 316 || !QUALIFIED_NAME.matcher(k).matches()) {
            p.error(path, "invalid label key " + quote(k));
          }
          if (v != null && (v.length() > 63 || !LABEL_VALUE.matcher(v).matches())) {
            p.error(path + "[" + k + "]", "invalid label value " + quote(v));
          }
        });
  }

  static String quote(String s) {
    return "\"" + s + "\"";
  }

  static boolean isBlank(String s) {
    return s == null || s.isEmpty();
  }
}
