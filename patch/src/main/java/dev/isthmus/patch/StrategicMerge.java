package dev.isthmus.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code StrategicMerge} merges a patch into a Kubernetes object the way a strategic merge patch
 * does for the fields Isthmus patches: maps merge recursively, a null deletes, lists with a merge
 * key merge element by element (order as Kubernetes produces it: patch elements keep their order
 * and are placed among the existing ones where the first of them stood), other lists are replaced.
 *
 * <p>Beyond Kubernetes without {@code $retainKeys}: a probe that names a handler ({@code exec},
 * {@code httpGet}, {@code tcpSocket}, {@code grpc}) loses the other handlers, an env var given
 * {@code value} loses {@code valueFrom} (and vice versa), a {@code strategy} set to {@code
 * Recreate} loses {@code rollingUpdate}, and a volume that names a source loses its other sources,
 * so that the result stays valid.
 */
final class StrategicMerge {

  /** Merge keys of the lists in pod templates (workloads). */
  static final Map<String, List<String>> WORKLOAD_KEYS =
      Map.of(
          "containers", List.of("name"),
          "initContainers", List.of("name"),
          "ephemeralContainers", List.of("name"),
          "env", List.of("name"),
          "volumes", List.of("name"),
          "volumeMounts", List.of("mountPath"),
          "volumeDevices", List.of("devicePath"),
          "imagePullSecrets", List.of("name"),
          "hostAliases", List.of("ip"),
          "ports", List.of("containerPort", "protocol"));

  /** Merge keys of the lists in a Service. */
  static final Map<String, List<String>> SERVICE_KEYS =
      Map.of("ports", List.of("port", "protocol"));

  /** No list merges: every list is replaced (HPA metrics, PDB selectors...). */
  static final Map<String, List<String>> NO_KEYS = Map.of();

  private static final Set<String> PROBES =
      Set.of("readinessProbe", "livenessProbe", "startupProbe");
  private static final List<String> HANDLERS = List.of("exec", "httpGet", "tcpSocket", "grpc");

  private final Map<String, List<String>> keys;

  StrategicMerge(Map<String, List<String>> keys) {
    this.keys = keys;
  }

  /**
   * Merges {@code patch} into {@code target} in place.
   *
   * @param where field path of {@code patch} in the user's input, for errors
   * @throws PatchException when a list element in the patch lacks its merge key
   */
  void merge(ObjectNode target, ObjectNode patch, String field, String where) {
    keepUnionsValid(target, patch, field);
    Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String k = e.getKey();
      JsonNode pv = e.getValue();
      JsonNode tv = target.get(k);
      if (pv.isNull()) {
        target.remove(k);
      } else if (tv instanceof ObjectNode to && pv instanceof ObjectNode po) {
        merge(to, po, k, where + "." + k);
      } else if (tv instanceof ArrayNode ta && pv instanceof ArrayNode pa && keys.containsKey(k)) {
        mergeList(ta, pa, k, where + "." + k);
      } else {
        target.set(k, withoutNulls(pv));
      }
    }
  }

  private void mergeList(ArrayNode target, ArrayNode patch, String field, String where) {
    List<String> keyFields = keys.get(field);
    List<JsonNode> original = new ArrayList<>();
    target.forEach(original::add);
    List<List<String>> originalKeys = new ArrayList<>();
    for (JsonNode o : original) {
      originalKeys.add(o.isObject() ? key(o, keyFields) : null);
    }
    List<JsonNode> merged = new ArrayList<>(original);
    List<List<String>> mergedKeys = new ArrayList<>(originalKeys);
    List<List<String>> patchKeys = new ArrayList<>();
    for (int i = 0; i < patch.size(); i++) {
      JsonNode p = patch.get(i);
      String at = where + "[" + i + "]";
      if (!(p instanceof ObjectNode po)) {
        throw new PatchException(at, "expected a map with " + keyFields.get(0));
      }
      if (p.get(keyFields.get(0)) == null || p.get(keyFields.get(0)).isNull()) {
        throw new PatchException(at, "missing " + keyFields.get(0) + ", the key to merge by");
      }
      List<String> pk = key(p, keyFields);
      patchKeys.add(pk);
      int found = mergedKeys.indexOf(pk);
      if (found >= 0) {
        ObjectNode copy = ((ObjectNode) merged.get(found)).deepCopy();
        merge(copy, po, field + "[]", at);
        merged.set(found, copy);
      } else {
        merged.add(withoutNulls(p));
        mergedKeys.add(pk);
      }
    }
    // Patch elements in patch order, interleaved with the elements only the target has.
    List<JsonNode> patchItems = new ArrayList<>();
    List<List<String>> seen = new ArrayList<>();
    for (List<String> pk : patchKeys) {
      if (!seen.contains(pk)) {
        seen.add(pk);
        patchItems.add(merged.get(mergedKeys.indexOf(pk)));
      }
    }
    List<JsonNode> serverOnly = new ArrayList<>();
    for (int i = 0; i < merged.size(); i++) {
      if (!seen.contains(mergedKeys.get(i))) {
        serverOnly.add(merged.get(i));
      }
    }
    target.removeAll();
    int i = 0;
    int j = 0;
    while (i < serverOnly.size() || j < patchItems.size()) {
      if (j >= patchItems.size()) {
        target.add(serverOnly.get(i++));
      } else if (i >= serverOnly.size()) {
        target.add(patchItems.get(j++));
      } else {
        int li = originalKeys.indexOf(keyOf(serverOnly.get(i), keyFields));
        int ri = originalKeys.indexOf(keyOf(patchItems.get(j), keyFields));
        if (li >= 0 && ri >= 0 && li < ri) {
          target.add(serverOnly.get(i++));
        } else {
          target.add(patchItems.get(j++));
        }
      }
    }
  }

  private static List<String> keyOf(JsonNode n, List<String> keyFields) {
    return n.isObject() ? key(n, keyFields) : null;
  }

  /** The merge key of a list element: the text of each key field ("TCP" for a missing protocol). */
  static List<String> key(JsonNode element, List<String> keyFields) {
    List<String> out = new ArrayList<>();
    for (String f : keyFields) {
      JsonNode v = element.get(f);
      if (v == null || v.isNull()) {
        out.add(f.equals("protocol") ? "TCP" : null);
      } else {
        out.add(v.isValueNode() ? v.asText() : v.toString());
      }
    }
    return out;
  }

  private static void keepUnionsValid(ObjectNode target, ObjectNode patch, String field) {
    if (field == null) {
      return;
    }
    if (PROBES.contains(field)) {
      dropOthersOf(target, patch, HANDLERS);
    } else if (field.equals("env[]")) {
      dropOthersOf(target, patch, List.of("value", "valueFrom"));
    } else if (field.equals("volumes[]")) {
      dropOthersOf(target, patch, VOLUME_SOURCES);
    } else if (field.equals("strategy") && "Recreate".equals(patch.path("type").asText())) {
      target.remove("rollingUpdate");
    }
  }

  /** When the patch sets one member of a union, removes the target's other members. */
  private static void dropOthersOf(ObjectNode target, ObjectNode patch, List<String> union) {
    for (String member : union) {
      if (patch.hasNonNull(member)) {
        union.stream().filter(o -> !o.equals(member)).forEach(target::remove);
        return;
      }
    }
  }

  private static final List<String> VOLUME_SOURCES =
      List.of(
          "emptyDir",
          "secret",
          "configMap",
          "projected",
          "downwardAPI",
          "hostPath",
          "persistentVolumeClaim",
          "csi",
          "ephemeral",
          "nfs");

  /** A deep copy of {@code n} without null-valued map entries. */
  static JsonNode withoutNulls(JsonNode n) {
    JsonNode copy = n.deepCopy();
    stripNulls(copy);
    return copy;
  }

  private static void stripNulls(JsonNode n) {
    if (n instanceof ObjectNode o) {
      List<String> nulls = new ArrayList<>();
      o.fields()
          .forEachRemaining(
              e -> {
                if (e.getValue().isNull()) {
                  nulls.add(e.getKey());
                } else {
                  stripNulls(e.getValue());
                }
              });
      nulls.forEach(o::remove);
    } else if (n instanceof ArrayNode a) {
      a.forEach(StrategicMerge::stripNulls);
    }
  }
}
