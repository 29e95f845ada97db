package dev.isthmus.patch;

import static java.util.Map.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code StrategicMerge} applies a Kubernetes strategic merge patch to an object as {@code
 * strategicpatch.StrategicMergeMapPatch} (k8s.io/apimachinery) does with the patch metadata of the
 * object's Go type. Istio calls that function to overlay a rendered injection template onto a pod
 * and to apply an IstioOperator's {@code k8s.*} settings; Isthmus uses this class for both.
 *
 * <ul>
 *   <li>Maps merge recursively; a null deletes the field. A list whose field has a merge key (the
 *       {@code patchMergeKey} of k8s.io/api) merges element by element: the existing element with
 *       the patch element's key is merged with it, other patch elements are added; a list of
 *       scalars with {@code patchStrategy: merge} (finalizers) merges as a set; every other list is
 *       replaced, and an empty patch list leaves a merged list alone.
 *   <li>Order as Kubernetes gives it: the patch's elements in patch order, and each existing
 *       element the patch does not name ahead of the patch elements that followed it in the
 *       original; so new elements come first (a template's volumes before the pod's own).
 *   <li>Directives: {@code $patch: replace} and {@code $patch: delete} in a map or as a list
 *       element, {@code $retainKeys}, {@code $setElementOrder/<list>} and {@code
 *       $deleteFromPrimitiveList/<list>}.
 * </ul>
 *
 * <p>Merge keys by field name ({@link #POD}): containers, initContainers, ephemeralContainers,
 * volumes, env, imagePullSecrets, schedulingGates, resourceClaims by {@code name}; volumeMounts by
 * {@code mountPath}; volumeDevices by {@code devicePath}; hostAliases by {@code ip};
 * topologySpreadConstraints by {@code topologyKey}; ownerReferences by {@code uid}; container ports
 * by {@code containerPort}. Tolerations, readinessGates, args and every other list are replaced.
 * Container ports follow Kubernetes' patchMergeKey, not its list-map keys ({@code containerPort},
 * {@code protocol}): Istio's injector merges with corev1.Pod's patch metadata, so a template's port
 * 53/UDP merged into a container with port 53/TCP replaces it, here as there. {@link #SERVICE} is
 * the one exception: Service ports merge by (port, protocol), a missing protocol counting as TCP
 * (the list-map keys server-side apply uses), because the patchMergeKey {@code port} alone folds a
 * DNS-style TCP+UDP pair into one port (kubernetes#103544; Istio's operator drops {@code
 * k8s.service.ports} of gateways for that reason, Isthmus merges them).
 *
 * <p>Where the result differs from Kubernetes': new values have their nulls and directives removed
 * (Kubernetes leaves them to the typed decoding that follows); a map that is new to the target and
 * says {@code $patch: replace} is added (Kubernetes drops it); an existing element without its
 * merge key is kept (Kubernetes refuses the patch). Keys compare as Go compares JSON values: {@code
 * 80} and {@code 80.0} are the same port, {@code "80"} is not. {@link #keepingUnionsValid()} adds
 * {@link Unions}' rule for the operator's {@code k8s.*} settings.
 */
public final class StrategicMerge {

  private static final String PATCH = "$patch";
  private static final String RETAIN_KEYS = "$retainKeys";
  private static final String SET_ORDER = "$setElementOrder/";
  private static final String DELETE_FROM = "$deleteFromPrimitiveList/";

  /** Merge keys by field name; an empty key merges a list of scalars as a set. */
  private static final Map<String, List<String>> POD_KEYS =
      Map.ofEntries(
          entry("finalizers", List.of()),
          entry("ownerReferences", List.of("uid")),
          entry("containers", List.of("name")),
          entry("initContainers", List.of("name")),
          entry("ephemeralContainers", List.of("name")),
          entry("volumes", List.of("name")),
          entry("imagePullSecrets", List.of("name")),
          entry("hostAliases", List.of("ip")),
          entry("topologySpreadConstraints", List.of("topologyKey")),
          entry("schedulingGates", List.of("name")),
          entry("resourceClaims", List.of("name")),
          entry("ports", List.of("containerPort")),
          entry("env", List.of("name")),
          entry("volumeMounts", List.of("mountPath")),
          entry("volumeDevices", List.of("devicePath")));

  /**
   * A core/v1 Pod, or an object whose pod template holds the pod's fields (Deployment, DaemonSet):
   * what Istio's injector and its operator's workload settings merge with.
   */
  public static final StrategicMerge POD = new StrategicMerge(POD_KEYS, false);

  /** A core/v1 Service: ports merge by (port, protocol), see above. */
  public static final StrategicMerge SERVICE =
      new StrategicMerge(
          Map.of(
              "finalizers", List.of(),
              "ownerReferences", List.of("uid"),
              "ports", List.of("port", "protocol")),
          false);

  /** Objects without merged lists (HorizontalPodAutoscaler, PodDisruptionBudget specs...). */
  public static final StrategicMerge ATOMIC_LISTS = new StrategicMerge(Map.of(), false);

  private final Map<String, List<String>> keys;
  private final boolean unions;

  private StrategicMerge(Map<String, List<String>> keys, boolean unions) {
    this.keys = keys;
    this.unions = unions;
  }

  /**
   * This merge, plus: where the patch sets one member of a union the target's other members go, so
   * that the result stays valid where Kubernetes' merge would keep both (see {@link Unions}).
   */
  public StrategicMerge keepingUnionsValid() {
    return new StrategicMerge(keys, true);
  }

  /** Merges {@code patch} into {@code target} in place; {@code patch} is not modified. */
  public void merge(ObjectNode target, ObjectNode patch) {
    merge(target, patch, "");
  }

  /**
   * Merges {@code patch} into {@code target} in place; {@code patch} is not modified.
   *
   * @param where field path of {@code patch} in the user's input, prefix of error paths
   * @throws PatchException when a list element lacks its merge key or a directive is malformed
   */
  public void merge(ObjectNode target, ObjectNode patch, String where) {
    ObjectNode out = mergeMap(target, patch, null, where);
    if (out != target) {
      target.removeAll();
      target.setAll(out);
    }
  }

  private ObjectNode mergeMap(ObjectNode target, ObjectNode patch, String field, String where) {
    JsonNode directive = patch.get(PATCH);
    if (directive != null) {
      return switch (directive.asText()) {
        case "replace" -> (ObjectNode) fresh(patch, where, true);
        case "delete" -> target.objectNode();
        default -> throw badDirective(where, directive);
      };
    }
    retainKeys(target, patch, where);
    if (unions && field != null) {
      Unions.keepValid(target, patch, field);
    }
    Set<String> ordered = new HashSet<>();
    for (var e : patch.properties()) {
      String k = e.getKey();
      if (k.startsWith(DELETE_FROM)
          && e.getValue() instanceof ArrayNode del
          && target.get(k.substring(DELETE_FROM.length())) instanceof ArrayNode a) {
        List<Object> gone = new ArrayList<>();
        del.forEach(d -> gone.add(value(d)));
        ArrayNode kept = a.arrayNode();
        for (JsonNode v : a) {
          if (!gone.contains(value(v))) {
            kept.add(v);
          }
        }
        target.set(k.substring(DELETE_FROM.length()), kept);
      } else if (k.startsWith(SET_ORDER)) {
        String list = k.substring(SET_ORDER.length());
        ordered.add(list);
        setElementOrder(target, patch, list, where);
      }
    }
    for (var e : patch.properties()) {
      String k = e.getKey();
      JsonNode pv = e.getValue();
      if (isDirective(k) || ordered.contains(k)) {
        continue;
      }
      JsonNode tv = target.get(k);
      String at = at(where, k);
      if (pv.isNull()) {
        target.remove(k);
      } else if (tv instanceof ObjectNode to && pv instanceof ObjectNode po) {
        target.set(k, mergeMap(to, po, k, at));
      } else if (tv instanceof ArrayNode ta && pv instanceof ArrayNode pa) {
        target.set(k, mergeList(ta, pa, k, at));
      } else {
        JsonNode v = fresh(pv, at, false);
        if (v == null) {
          target.remove(k);
        } else {
          target.set(k, v);
        }
      }
    }
    return target;
  }

  private ArrayNode mergeList(ArrayNode target, ArrayNode patch, String field, String where) {
    List<String> keyFields = keys.get(field);
    if (keyFields == null) {
      return (ArrayNode) fresh(patch, where, false);
    }
    if (target.isEmpty() && patch.isEmpty()) {
      return target;
    }
    List<JsonNode> items = new ArrayList<>();
    target.forEach(items::add);
    List<ObjectNode> elements = new ArrayList<>();
    List<Object> patchKeys = new ArrayList<>();
    List<String> ats = new ArrayList<>();
    boolean replace = false;
    for (int i = 0; i < patch.size(); i++) {
      JsonNode p = patch.get(i);
      String at = where + "[" + i + "]";
      if (keyFields.isEmpty()) {
        if (p.isContainerNode()) {
          throw new PatchException(at, "expected a value: " + field + " merges as a set of values");
        }
        patchKeys.add(value(p));
        continue;
      }
      if (!(p instanceof ObjectNode po)) {
        throw new PatchException(at, "expected a map with " + keyFields.get(0));
      }
      if (p.get(keyFields.get(0)) == null || p.get(keyFields.get(0)).isNull()) {
        if (!"replace".equals(p.path(PATCH).asText())) {
          throw new PatchException(at, "missing " + keyFields.get(0) + ", the key to merge by");
        }
      }
      JsonNode directive = p.get(PATCH);
      if (directive == null) {
        elements.add(po);
        patchKeys.add(key(po, keyFields));
        ats.add(at);
      } else if ("delete".equals(directive.asText())) {
        Object gone = key(po, keyFields);
        items.removeIf(o -> gone.equals(key(o, keyFields)));
      } else if ("replace".equals(directive.asText())) {
        replace = true;
      } else {
        throw badDirective(at, directive);
      }
    }
    if (replace) {
      ArrayNode out = target.arrayNode();
      for (int i = 0; i < elements.size(); i++) {
        out.add(fresh(elements.get(i), ats.get(i), false));
      }
      return out;
    }
    List<Object> targetOrder = new ArrayList<>();
    items.forEach(o -> targetOrder.add(key(o, keyFields)));
    List<Object> itemKeys = new ArrayList<>(targetOrder);
    if (keyFields.isEmpty()) {
      // Kubernetes deduplicates the target's values as well as the patch's.
      for (int i = items.size() - 1; i >= 0; i--) {
        if (itemKeys.indexOf(itemKeys.get(i)) < i) {
          items.remove(i);
          itemKeys.remove(i);
        }
      }
      for (int i = 0; i < patch.size(); i++) {
        if (!itemKeys.contains(patchKeys.get(i))) {
          items.add(patch.get(i));
          itemKeys.add(patchKeys.get(i));
        }
      }
    } else {
      for (int i = 0; i < elements.size(); i++) {
        int found = itemKeys.indexOf(patchKeys.get(i));
        if (found >= 0 && items.get(found) instanceof ObjectNode o) {
          items.set(found, mergeMap(o, elements.get(i), field + "[]", ats.get(i)));
        } else {
          items.add(fresh(elements.get(i), ats.get(i), false));
          itemKeys.add(patchKeys.get(i));
        }
      }
    }
    return ordered(target.arrayNode(), items, patchKeys, targetOrder, keyFields);
  }

  /**
   * Kubernetes' order: the items the patch (or a {@code $setElementOrder} list) names, in its
   * order, interleaved with the others, each of which stays ahead of the named items that came
   * after it in the target.
   */
  private static ArrayNode ordered(
      ArrayNode out,
      List<JsonNode> items,
      List<Object> patchOrder,
      List<Object> targetOrder,
      List<String> keyFields) {
    List<JsonNode> named = new ArrayList<>();
    List<JsonNode> others = new ArrayList<>();
    for (JsonNode item : items) {
      (patchOrder.contains(key(item, keyFields)) ? named : others).add(item);
    }
    named.sort(Comparator.comparingInt(n -> patchOrder.indexOf(key(n, keyFields))));
    int i = 0;
    int j = 0;
    while (i < others.size() || j < named.size()) {
      if (j >= named.size()) {
        out.add(others.get(i++));
      } else if (i >= others.size()) {
        out.add(named.get(j++));
      } else {
        int li = targetOrder.indexOf(key(others.get(i), keyFields));
        int ri = targetOrder.indexOf(key(named.get(j), keyFields));
        out.add(li >= 0 && ri >= 0 && li < ri ? others.get(i++) : named.get(j++));
      }
    }
    return out;
  }

  private void setElementOrder(ObjectNode target, ObjectNode patch, String list, String where) {
    String at = at(where, SET_ORDER + list);
    if (!(patch.get(SET_ORDER + list) instanceof ArrayNode order)) {
      throw new PatchException(at, "expected a list");
    }
    List<String> keyFields = keys.getOrDefault(list, List.of());
    JsonNode tv = target.get(list);
    JsonNode pv = patch.get(list);
    List<Object> orderKeys = new ArrayList<>();
    order.forEach(o -> orderKeys.add(key(o, keyFields)));
    if (pv instanceof ArrayNode pa) {
      int next = 0;
      for (JsonNode p : pa) {
        if (p.has(PATCH)) {
          continue;
        }
        int found = orderKeys.subList(next, orderKeys.size()).indexOf(key(p, keyFields));
        if (found < 0) {
          throw new PatchException(at, "does not list " + p + " of " + list + " in patch order");
        }
        next += found + 1;
      }
    }
    ArrayNode merged;
    if (tv instanceof ArrayNode ta && pv instanceof ArrayNode pa) {
      merged = mergeList(ta, pa, list, at(where, list));
    } else if (pv instanceof ArrayNode pa) {
      merged = (ArrayNode) fresh(pa, at(where, list), false);
    } else if (tv instanceof ArrayNode ta) {
      merged = ta;
    } else {
      return;
    }
    List<Object> targetOrder = new ArrayList<>();
    if (tv instanceof ArrayNode ta) {
      ta.forEach(t -> targetOrder.add(key(t, keyFields)));
    }
    List<JsonNode> items = new ArrayList<>();
    merged.forEach(items::add);
    target.set(list, ordered(target.arrayNode(), items, orderKeys, targetOrder, keyFields));
  }

  /** Applies {@code $retainKeys}: target fields not listed go; patch fields must be listed. */
  private static void retainKeys(ObjectNode target, ObjectNode patch, String where) {
    JsonNode directive = patch.get(RETAIN_KEYS);
    if (directive == null) {
      return;
    }
    if (!(directive instanceof ArrayNode list)) {
      throw new PatchException(at(where, RETAIN_KEYS), "expected a list of field names");
    }
    Set<String> retain = new HashSet<>();
    list.forEach(k -> retain.add(k.asText()));
    for (var e : patch.properties()) {
      String k = e.getKey();
      if (!e.getValue().isNull() && !isDirective(k) && !retain.contains(k)) {
        throw new PatchException(at(where, k), "set but not listed in " + RETAIN_KEYS);
      }
    }
    target.properties().removeIf(e -> !retain.contains(e.getKey()));
  }

  /**
   * What a patch value becomes where the target has nothing to merge it with: a copy without nulls
   * and directives; null for a map that says {@code $patch: delete}.
   */
  private static JsonNode fresh(JsonNode v, String where, boolean replacing) {
    if (v instanceof ObjectNode o) {
      JsonNode directive = o.get(PATCH);
      if (directive != null && !replacing) {
        switch (directive.asText()) {
          case "delete":
            return null;
          case "replace":
            break;
          default:
            throw badDirective(where, directive);
        }
      }
      ObjectNode out = o.objectNode();
      for (var e : o.properties()) {
        String k = e.getKey();
        if (!e.getValue().isNull() && !k.equals(PATCH) && !isDirective(k)) {
          JsonNode f = fresh(e.getValue(), at(where, k), false);
          if (f != null) {
            out.set(k, f);
          }
        }
      }
      return out;
    }
    if (v instanceof ArrayNode a) {
      ArrayNode out = a.arrayNode();
      for (int i = 0; i < a.size(); i++) {
        if (!a.get(i).has(PATCH)) {
          out.add(fresh(a.get(i), where + "[" + i + "]", false));
        }
      }
      return out;
    }
    return v;
  }

  /**
   * The merge key of a list element: its key fields' values ("TCP" for a missing protocol), or for
   * a list of scalars the element itself.
   */
  private static Object key(JsonNode element, List<String> keyFields) {
    if (keyFields.isEmpty()) {
      return value(element);
    }
    if (!element.isObject()) {
      return null;
    }
    List<Object> out = new ArrayList<>();
    for (String f : keyFields) {
      JsonNode v = element.get(f);
      out.add(v == null || v.isNull() ? (f.equals("protocol") ? "TCP" : null) : value(v));
    }
    return out;
  }

  /** A value comparable with {@code equals} as Go compares JSON values: numbers by value. */
  private static Object value(JsonNode v) {
    if (v.isNumber()) {
      return v.decimalValue().stripTrailingZeros();
    }
    if (v.isTextual()) {
      return v.textValue();
    }
    return v.isBoolean() ? Boolean.valueOf(v.booleanValue()) : v;
  }

  private static PatchException badDirective(String where, JsonNode directive) {
    return new PatchException(
        at(where, PATCH), "expected replace or delete but found " + directive.toString());
  }

  /** The keys that direct a merge beside {@code $patch}; they never become fields. */
  private static boolean isDirective(String key) {
    return key.equals(RETAIN_KEYS) || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM);
  }

  private static String at(String where, String field) {
    return where == null || where.isEmpty() ? field : where + "." + field;
  }
}
