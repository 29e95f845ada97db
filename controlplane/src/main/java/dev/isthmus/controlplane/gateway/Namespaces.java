package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Namespace selection: {@code allowedRoutes} and {@code allowedListeners} of a Gateway. */
public final class Namespaces {
  private Namespaces() {}

  /** The namespaces whose routes a listener admits: a name list, {@code *}, or none matched. */
  static List<String> allowed(Inputs in, String localNs, JsonNode allowedRoutes) {
    String from = Nodes.text(allowedRoutes, "namespaces", "from");
    if (from == null || from.equals("Same")) {
      return List.of(localNs);
    }
    if (from.equals("All")) {
      return List.of("*");
    }
    JsonNode selector = Nodes.at(allowedRoutes, "namespaces", "selector");
    if (selector.isMissingNode() || selector.isNull()) {
      return List.of("*");
    }
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, String>> ns : in.namespaces.entrySet()) {
      if (matches(selector, labels(ns.getKey(), ns.getValue()))) {
        out.add(ns.getKey());
      }
    }
    return out;
  }

  /** Whether a ListenerSet in {@code localNs} may attach to {@code gateway}. */
  static boolean listenerSetAllowed(Inputs in, String localNs, JsonNode gateway) {
    return listenerSetAllowed(in.namespaces::get, localNs, gateway);
  }

  /**
   * Whether a ListenerSet in {@code localNs} may attach to {@code gateway} ({@code
   * spec.allowedListeners}; none by default), given the labels of a namespace by name (null when it
   * does not exist).
   */
  public static boolean listenerSetAllowed(
      java.util.function.Function<String, Map<String, String>> namespaceLabels,
      String localNs,
      JsonNode gateway) {
    JsonNode n = Nodes.at(gateway, "spec", "allowedListeners", "namespaces");
    if (n.isMissingNode() || n.isNull()) {
      return false;
    }
    String from = Nodes.text(n, "from");
    if (from != null) {
      switch (from) {
        case "All" -> {
          return true;
        }
        case "Same" -> {
          return localNs.equals(Nodes.namespace(gateway));
        }
        case "Selector" -> {}
        default -> {
          return false;
        }
      }
    }
    JsonNode selector = n.get("selector");
    if (selector == null || selector.isNull()) {
      return false;
    }
    Map<String, String> labels = namespaceLabels.apply(localNs);
    return labels != null && matches(selector, labels(localNs, labels));
  }

  private static Map<String, String> labels(String name, Map<String, String> labels) {
    Map<String, String> out = new HashMap<>(labels);
    out.put("kubernetes.io/metadata.name", name);
    return out;
  }

  static boolean matches(JsonNode selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : Nodes.strings(selector, "matchLabels").entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (JsonNode expr : Nodes.list(selector, "matchExpressions")) {
      String key = Nodes.textOr(expr, "", "key");
      List<String> values = new ArrayList<>();
      Nodes.list(expr, "values").forEach(v -> values.add(v.asText()));
      String value = labels.get(key);
      boolean ok =
          switch (Nodes.textOr(expr, "", "operator")) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            default -> false;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
