package dev.isthmus.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code Parity} compares our rendered objects with an Istio golden: which (kind, namespace, name)
 * identities we produce, and whether key fields match (ports, replicas, HPA bounds, env names,
 * resources, tolerations, service type).
 */
final class Parity {
  record Score(int objects, int objectsFound, int fields, int fieldsMatched, List<String> diffs) {}

  private Parity() {}

  static String id(JsonNode o) {
    return o.path("kind").asText()
        + " "
        + o.path("metadata").path("namespace").asText("")
        + "/"
        + o.path("metadata").path("name").asText();
  }

  static Score score(List<JsonNode> golden, List<JsonNode> ours) {
    Map<String, JsonNode> mine = new LinkedHashMap<>();
    ours.forEach(o -> mine.put(id(o), o));
    int found = 0;
    int fields = 0;
    int matched = 0;
    List<String> diffs = new ArrayList<>();
    for (JsonNode g : golden) {
      JsonNode o = mine.get(id(g));
      if (o == null) {
        diffs.add("missing " + id(g));
        continue;
      }
      found++;
      Map<String, String> gf = keyFields(g);
      Map<String, String> of = keyFields(o);
      for (var e : gf.entrySet()) {
        fields++;
        if (e.getValue().equals(of.get(e.getKey()))) {
          matched++;
        } else {
          diffs.add(
              id(g) + " " + e.getKey() + ": istio=" + e.getValue() + " ours=" + of.get(e.getKey()));
        }
      }
    }
    return new Score(golden.size(), found, fields, matched, diffs);
  }

  static Map<String, String> keyFields(JsonNode o) {
    Map<String, String> f = new LinkedHashMap<>();
    String kind = o.path("kind").asText();
    JsonNode spec = o.path("spec");
    switch (kind) {
      case "Deployment", "DaemonSet" -> {
        if (kind.equals("Deployment")) {
          f.put("replicas", spec.path("replicas").asText("-"));
        }
        JsonNode pod = spec.path("template").path("spec");
        JsonNode c = pod.path("containers").path(0);
        TreeSet<String> ports = new TreeSet<>();
        c.path("ports").forEach(p -> ports.add(p.path("containerPort").asText()));
        f.put("containerPorts", ports.toString());
        TreeSet<String> env = new TreeSet<>();
        c.path("env").forEach(e -> env.add(e.path("name").asText()));
        f.put("envNames", env.toString());
        f.put("resources", canonical(c.path("resources")));
        f.put("tolerations", canonical(pod.path("tolerations")));
      }
      case "Service" -> {
        f.put("type", spec.path("type").asText("ClusterIP"));
        TreeSet<String> ports = new TreeSet<>();
        spec.path("ports")
            .forEach(
                p ->
                    ports.add(
                        p.path("name").asText()
                            + ":"
                            + p.path("port").asText()
                            + "->"
                            + p.path("targetPort").asText(p.path("port").asText())));
        f.put("ports", ports.toString());
      }
      case "HorizontalPodAutoscaler" -> {
        f.put("minReplicas", spec.path("minReplicas").asText("1"));
        f.put("maxReplicas", spec.path("maxReplicas").asText());
      }
      case "PodDisruptionBudget" -> {
        f.put("minAvailable", spec.path("minAvailable").asText("-"));
        f.put("maxUnavailable", spec.path("maxUnavailable").asText("-"));
      }
      default -> {}
    }
    return f;
  }

  /** Order-insensitive text of a tree (lists of maps sorted by their text), nulls dropped. */
  static String canonical(JsonNode n) {
    if (n == null || n.isMissingNode() || n.isNull()) {
      return "-";
    }
    if (n.isObject()) {
      TreeSet<String> parts = new TreeSet<>();
      n.fields()
          .forEachRemaining(
              e -> {
                if (!e.getValue().isNull()) {
                  parts.add(e.getKey() + "=" + canonical(e.getValue()));
                }
              });
      return parts.isEmpty() ? "-" : "{" + String.join(",", parts) + "}";
    }
    if (n.isArray()) {
      TreeSet<String> parts = new TreeSet<>();
      n.forEach(e -> parts.add(canonical(e)));
      return parts.isEmpty() ? "-" : parts.toString();
    }
    return n.asText();
  }
}
