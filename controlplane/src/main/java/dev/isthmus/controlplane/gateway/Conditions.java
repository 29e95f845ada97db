package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of status conditions keyed by type, each holding its success reason and message, or an
 * error that inverts its status; merged into the conditions an object already has.
 */
final class Conditions {
  /** A reason and message that explain a failed condition. */
  record Problem(String reason, String message) {}

  static final class Cond {
    String reason;
    String message;
    String status = "True";
    Problem error;

    Cond(String reason, String message) {
      this.reason = reason;
      this.message = message;
    }

    Cond negative() {
      status = "False";
      return this;
    }

    Cond unknown() {
      status = "Unknown";
      return this;
    }
  }

  private final Map<String, Cond> byType = new TreeMap<>();

  Cond put(String type, String reason, String message) {
    Cond c = new Cond(reason, message);
    byType.put(type, c);
    return c;
  }

  Cond get(String type) {
    return byType.get(type);
  }

  void fail(String type, String reason, String message) {
    byType.get(type).error = new Problem(reason, message);
  }

  void fail(String type, Problem p) {
    byType.get(type).error = p;
  }

  /**
   * Merges into {@code existing} (kept in place, replaced by type, new types appended in type
   * order); the transition time of a condition whose status did not change is kept.
   */
  ArrayNode apply(JsonNode existing, long generation, String now) {
    ArrayNode out = Nodes.array();
    if (existing != null && existing.isArray()) {
      existing.forEach(e -> out.add(e.deepCopy()));
    }
    for (Map.Entry<String, Cond> e : byType.entrySet()) {
      Cond c = e.getValue();
      ObjectNode n = Nodes.object();
      String status = c.status;
      if (c.error != null) {
        status = status.equals("True") ? "False" : status.equals("False") ? "True" : status;
      }
      n.put("type", e.getKey());
      n.put("status", status);
      if (generation != 0) {
        n.put("observedGeneration", generation);
      }
      n.put("lastTransitionTime", now);
      n.put("reason", c.error != null ? c.error.reason() : c.reason);
      n.put("message", c.error != null ? c.error.message() : c.message);
      int at = -1;
      for (int i = 0; i < out.size(); i++) {
        if (e.getKey().equals(Nodes.text(out.get(i), "type"))) {
          at = i;
          break;
        }
      }
      if (at < 0) {
        out.add(n);
      } else {
        JsonNode old = out.get(at);
        if (n.get("status").asText().equals(Nodes.text(old, "status"))
            && Nodes.has(old, "lastTransitionTime")) {
          n.set("lastTransitionTime", old.get("lastTransitionTime"));
        }
        out.set(at, n);
      }
    }
    return out;
  }
}
