package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code StrategicMerge} overlays a rendered template pod onto a pod with Kubernetes strategic
 * merge patch semantics for the pod fields injection touches, as Istio's {@code applyOverlayYAML}:
 * objects merge recursively; a null in the overlay deletes the field; lists with a patch merge key
 * merge element by element (containers, init and ephemeral containers, volumes, env, image pull
 * secrets by {@code name}; ports by {@code containerPort}; volume mounts by {@code mountPath}; host
 * aliases by {@code ip}) keeping the original elements' order and appending new ones; an empty
 * overlay list leaves such a list alone; every other list is replaced. Directives ({@code $patch})
 * are not supported.
 */
final class StrategicMerge {
  private static final Map<String, String> MERGE_KEYS =
      Map.of(
          "containers", "name",
          "initContainers", "name",
          "ephemeralContainers", "name",
          "volumes", "name",
          "env", "name",
          "imagePullSecrets", "name",
          "ports", "containerPort",
          "volumeMounts", "mountPath",
          "hostAliases", "ip",
          "readinessGates", "conditionType");

  private StrategicMerge() {}

  /** Merges {@code overlay} into {@code target} in place. */
  static void merge(ObjectNode target, ObjectNode overlay) {
    for (Iterator<Map.Entry<String, JsonNode>> it = overlay.fields(); it.hasNext(); ) {
      var e = it.next();
      String key = e.getKey();
      JsonNode patch = e.getValue();
      JsonNode existing = target.get(key);
      if (patch == null || patch.isNull()) {
        target.remove(key);
      } else if (patch.isObject() && existing != null && existing.isObject()) {
        merge((ObjectNode) existing, (ObjectNode) patch);
      } else if (patch.isArray() && MERGE_KEYS.containsKey(key)) {
        target.set(key, mergeList(existing, (ArrayNode) patch, MERGE_KEYS.get(key)));
      } else {
        target.set(key, clean(patch.deepCopy()));
      }
    }
  }

  private static JsonNode mergeList(JsonNode existing, ArrayNode patch, String mergeKey) {
    ArrayNode out =
        existing != null && existing.isArray() ? (ArrayNode) existing : patch.arrayNode();
    for (JsonNode item : patch) {
      if (!item.isObject()) {
        out.add(item.deepCopy());
        continue;
      }
      JsonNode key = item.get(mergeKey);
      ObjectNode match = null;
      if (key != null) {
        for (JsonNode o : out) {
          if (o.isObject() && sameKey(o.get(mergeKey), key)) {
            match = (ObjectNode) o;
            break;
          }
        }
      }
      if (match != null) {
        merge(match, (ObjectNode) item);
      } else {
        out.add(clean(item.deepCopy()));
      }
    }
    return out;
  }

  private static boolean sameKey(JsonNode a, JsonNode b) {
    if (a == null) {
      return false;
    }
    if (a.isNumber() || b.isNumber()) {
      return a.asText().equals(b.asText());
    }
    return a.equals(b);
  }

  /** A new element has its null fields dropped, as merging it onto nothing would. */
  private static JsonNode clean(JsonNode n) {
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      o.properties().removeIf(e -> e.getValue().isNull());
      o.forEach(StrategicMerge::clean);
    } else if (n.isArray()) {
      n.forEach(StrategicMerge::clean);
    }
    return n;
  }
}
