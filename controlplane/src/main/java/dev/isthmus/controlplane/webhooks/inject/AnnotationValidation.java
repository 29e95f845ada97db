package dev.isthmus.controlplane.webhooks.inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * {@code AnnotationValidation} checks the pod annotations that steer traffic capture before
 * anything is rendered, as Istio's injector does: interception mode, status port and readiness
 * settings, CIDR lists ({@code *} allowed for includes), port lists ({@code *} allowed for included
 * inbound ports), interface lists and booleans. A bad value refuses the pod with a message naming
 * the annotation, the value and what was expected.
 */
final class AnnotationValidation {
  private static final Map<String, Function<String, String>> RULES = new TreeMap<>();

  static {
    RULES.put("sidecar.istio.io/interceptionMode", AnnotationValidation::mode);
    RULES.put(
        "status.sidecar.istio.io/port",
        v -> port(v) ? null : "statusPort invalid: expected a port (0-65535)");
    for (String k :
        List.of(
            "readiness.status.sidecar.istio.io/initialDelaySeconds",
            "readiness.status.sidecar.istio.io/periodSeconds",
            "readiness.status.sidecar.istio.io/failureThreshold")) {
      RULES.put(
          k,
          v ->
              v.matches("\\d{1,10}") && Long.parseLong(v) <= 0xFFFFFFFFL
                  ? null
                  : "expected an unsigned 32-bit integer");
    }
    RULES.put(
        "traffic.sidecar.istio.io/includeOutboundIPRanges",
        v -> v.equals("*") ? null : cidrs(v, "includeIPRanges"));
    RULES.put("traffic.sidecar.istio.io/excludeOutboundIPRanges", v -> cidrs(v, "excludeIPRanges"));
    RULES.put(
        "traffic.sidecar.istio.io/includeInboundPorts",
        v -> v.equals("*") ? null : ports(v, "includeInboundPorts"));
    RULES.put("traffic.sidecar.istio.io/excludeInboundPorts", v -> ports(v, "excludeInboundPorts"));
    RULES.put(
        "traffic.sidecar.istio.io/excludeOutboundPorts", v -> ports(v, "excludeOutboundPorts"));
    for (String k :
        List.of(
            "traffic.sidecar.istio.io/excludeInterfaces",
            "traffic.sidecar.istio.io/kubevirtInterfaces",
            "istio.io/reroute-virtual-interfaces")) {
      RULES.put(k, AnnotationValidation::interfaces);
    }
    RULES.put(
        "prometheus.istio.io/merge-metrics",
        v -> v.matches("(?i)true|false|t|f|1|0") ? null : "expected a boolean");
  }

  private AnnotationValidation() {}

  /** Throws naming every invalid annotation. */
  static void check(Map<String, String> annotations) {
    List<String> errors = new ArrayList<>();
    for (var e : new TreeMap<>(annotations).entrySet()) {
      var rule = RULES.get(e.getKey());
      String err = rule == null ? null : rule.apply(e.getValue());
      if (err != null) {
        errors.add(
            "metadata.annotations["
                + e.getKey()
                + "]: invalid value '"
                + e.getValue()
                + "': "
                + err);
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
  }

  private static String mode(String v) {
    return v.equals("REDIRECT") || v.equals("TPROXY") || v.equals("NONE")
        ? null
        : "interceptionMode invalid, expected REDIRECT, TPROXY or NONE";
  }

  private static boolean port(String v) {
    return v.trim().matches("\\d{1,5}") && Integer.parseInt(v.trim()) <= 65535;
  }

  private static String ports(String v, String what) {
    if (v.isBlank()) {
      return null;
    }
    for (String p : v.split(",")) {
      String t = p.trim();
      if (!port(t) || Integer.parseInt(t) == 0) {
        return what + " invalid: \"" + t + "\" is not a port (1-65535)";
      }
    }
    return null;
  }

  private static String cidrs(String v, String what) {
    if (v.isEmpty()) {
      return null;
    }
    for (String c : v.split(",")) {
      if (!cidr(c)) {
        return what + " invalid: \"" + c + "\" is not a CIDR";
      }
    }
    return null;
  }

  private static boolean cidr(String c) {
    int slash = c.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String ip = c.substring(0, slash);
    String bits = c.substring(slash + 1);
    if (!bits.matches("\\d{1,3}")) {
      return false;
    }
    int b = Integer.parseInt(bits);
    if (ip.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      for (String o : ip.split("\\.")) {
        if (Integer.parseInt(o) > 255 || (o.length() > 1 && o.startsWith("0"))) {
          return false;
        }
      }
      return b <= 32;
    }
    return ip.contains(":") && ip.matches("[0-9a-fA-F:.]+") && b <= 128;
  }

  private static String interfaces(String v) {
    for (String i : v.split(",")) {
      String t = i.trim();
      if (t.isEmpty() || t.length() > 15 || !t.matches("[^/\\s:]+")) {
        return "\"" + t + "\" is not a network interface name";
      }
    }
    return null;
  }
}
