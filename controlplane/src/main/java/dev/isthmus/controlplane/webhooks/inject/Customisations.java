package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.patch.PatchException;
import dev.isthmus.patch.StrategicMerge;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code Customisations} handles what a pod says about the containers the templates inject: a
 * container the pod declares under an injected name (its own {@code istio-proxy}, {@code
 * istio-init}, ...) is merged over the injected one, its fields winning; image {@code auto} keeps
 * the injected image. The pod's declarations are remembered in {@code proxy.istio.io/overrides} so
 * that injecting the pod again applies them again. With native sidecars a pod's {@code istio-proxy}
 * declared among the containers customises the injected init container. When the pod sets the
 * proxy's user or group, the traffic setup container follows it ({@code -u}, and the validation
 * container's user and group), except in TPROXY mode where the proxy runs as root.
 */
final class Customisations {
  static final String OVERRIDES = "proxy.istio.io/overrides";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROXY = "istio-proxy";

  private Customisations() {}

  /**
   * Removes what an earlier injection added, so the templates see the pod as its owner wrote it.
   */
  static ObjectNode strip(ObjectNode pod, String statusPort) {
    ObjectNode out = pod.deepCopy();
    ObjectNode meta = object(out, "metadata");
    JsonNode status = parse(meta.path("annotations").path(InjectionPolicy.STATUS).asText(null));
    if (status == null) {
      return out;
    }
    ObjectNode spec = object(out, "spec");
    remove(spec, "containers", names(status.path("containers")));
    remove(spec, "initContainers", names(status.path("initContainers")));
    ObjectNode annotations = object(meta, "annotations");
    if (statusPort.equals(annotations.path("prometheus.io/port").asText(null))) {
      for (String k : List.of("path", "port", "scrape")) {
        annotations.remove("prometheus.io/" + k);
      }
      annotations.remove("prometheus.istio.io/scrape-targets");
    }
    annotations.remove(InjectionPolicy.STATUS);
    JsonNode overrides = parse(annotations.path(OVERRIDES).asText(null));
    if (overrides != null) {
      for (String list : List.of("containers", "initContainers")) {
        for (JsonNode c : overrides.path(list)) {
          ArrayNode target = spec.withArray(list);
          if (find(target, c.path("name").asText()) == null) {
            target.add(c.deepCopy());
          }
        }
      }
    }
    return out;
  }

  /**
   * Istio moves a pod's own istio-proxy to the init containers when the template injects it there.
   */
  static void moveProxyToInit(ObjectNode merged, ObjectNode templatePod) {
    ObjectNode spec = object(merged, "spec");
    JsonNode own = find(spec.path("containers"), PROXY);
    if (own != null && find(templatePod.path("spec").path("initContainers"), PROXY) != null) {
      remove(spec, "containers", Set.of(PROXY));
      spec.withArray("initContainers").add(own);
    }
  }

  /** Merges the pod's declarations over the injected containers and records them. */
  static void reapply(
      ObjectNode merged, ObjectNode original, ObjectNode templatePod, boolean tproxy) {
    JsonNode annotations = original.path("metadata").path("annotations");
    JsonNode status = parse(annotations.path(InjectionPolicy.STATUS).asText(null));
    JsonNode existing = parse(annotations.path(OVERRIDES).asText(null));
    ObjectNode recorded = JSON.createObjectNode();
    for (String list : List.of("containers", "initContainers")) {
      Set<String> previous = status == null ? Set.of() : names(status.path(list));
      for (JsonNode injected : templatePod.path("spec").path(list)) {
        String name = injected.path("name").asText();
        if (previous.contains(name)) {
          continue;
        }
        JsonNode match = existing == null ? null : find(existing.path(list), name);
        if (match == null) {
          match = find(original.path("spec").path("containers"), name);
          if (match == null && list.equals("initContainers")) {
            match = find(original.path("spec").path("initContainers"), name);
          }
        }
        if (match == null) {
          continue;
        }
        ObjectNode overlay = (ObjectNode) match.deepCopy();
        if ("auto".equals(overlay.path("image").asText())) {
          overlay.remove("image");
        }
        recorded.withArray(list).add(overlay);
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("spec").putArray(list).add(overlay);
        try {
          StrategicMerge.POD.merge(merged, patch);
        } catch (PatchException e) {
          throw new IllegalArgumentException(
              "spec." + list + "[" + name + "]: " + e.getMessage(), e);
        }
      }
    }
    if (status == null && !recorded.isEmpty()) {
      object(object(merged, "metadata"), "annotations").put(OVERRIDES, recorded.toString());
    }
    adjustInitUser(merged, original, tproxy);
  }

  private static void adjustInitUser(ObjectNode merged, ObjectNode original, boolean tproxy) {
    JsonNode own = find(original.path("spec").path("containers"), PROXY);
    if (own == null) {
      own = find(original.path("spec").path("initContainers"), PROXY);
    }
    JsonNode sc = own == null ? null : own.path("securityContext");
    if (sc == null || (!sc.has("runAsUser") && !sc.has("runAsGroup"))) {
      return;
    }
    JsonNode inits = merged.path("spec").path("initContainers");
    ObjectNode init = (ObjectNode) find(inits, "istio-init");
    if (init == null) {
      init = (ObjectNode) find(inits, "istio-validation");
    }
    if (init == null) {
      return;
    }
    if (tproxy && sc.has("runAsUser")) {
      JsonNode proxy = find(merged.path("spec").path("containers"), PROXY);
      if (proxy == null) {
        proxy = find(inits, PROXY);
      }
      if (proxy instanceof ObjectNode p) {
        object(p, "securityContext").put("runAsUser", 0);
      }
    }
    if (!tproxy && init.path("name").asText().equals("istio-validation")) {
      ObjectNode isc = object(init, "securityContext");
      if (sc.has("runAsUser")) {
        isc.set("runAsUser", sc.get("runAsUser"));
      }
      if (sc.has("runAsGroup")) {
        isc.set("runAsGroup", sc.get("runAsGroup"));
      }
    }
    long uid = sc.path("runAsUser").asLong(0);
    if (uid == 0) {
      return;
    }
    JsonNode args = init.path("args");
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).asText().equals("-u")) {
        ((ArrayNode) args).set(i + 1, JSON.getNodeFactory().textNode(String.valueOf(uid)));
        return;
      }
    }
  }

  static JsonNode find(JsonNode list, String name) {
    for (JsonNode c : list) {
      if (name.equals(c.path("name").asText())) {
        return c;
      }
    }
    return null;
  }

  private static void remove(ObjectNode spec, String list, Set<String> names) {
    if (!(spec.get(list) instanceof ArrayNode a)) {
      return;
    }
    for (int i = a.size() - 1; i >= 0; i--) {
      if (names.contains(a.get(i).path("name").asText())) {
        a.remove(i);
      }
    }
  }

  private static Set<String> names(JsonNode list) {
    Set<String> out = new HashSet<>();
    list.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static JsonNode parse(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      return null;
    }
  }

  private static ObjectNode object(ObjectNode parent, String field) {
    return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
  }
}
