package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code KubeInject} injects manifests rather than admitted pods, as {@code istioctl kube-inject}
 * does: each document of a YAML stream (and each item of a {@code List}) that carries a pod
 * template is injected through {@link SidecarInjector} with the manifest's own name, namespace,
 * kind and API version as workload identity, and the template's metadata and spec are replaced by
 * the injected pod's. A CronJob's injected metadata is its job template's (Istio's choice), a bare
 * Pod is injected whole; other kinds (Services, ConfigMaps, ...) and host-network pods pass through
 * unchanged, as do pods that opt out.
 */
public final class KubeInject {
  private static final ObjectMapper JSON = Serialization.jsonMapper();
  private static final Set<String> TEMPLATED =
      Set.of(
          "Deployment",
          "DaemonSet",
          "StatefulSet",
          "Job",
          "ReplicaSet",
          "ReplicationController",
          "DeploymentConfig");

  private KubeInject() {}

  /**
   * Injects every document of {@code yaml}.
   *
   * @return the documents in order, injected where they hold a pod template
   * @throws IllegalArgumentException when a document does not parse or injection fails; the message
   *     names the document
   */
  public static List<JsonNode> inject(SidecarInjector injector, String yaml) {
    List<JsonNode> out = new ArrayList<>();
    int i = 0;
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      Object o;
      try {
        o = Serialization.unmarshal(doc, Object.class);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("document " + i + ": not YAML: " + e.getMessage(), e);
      }
      if (o != null) {
        JsonNode n = JSON.valueToTree(o);
        out.add(n.isObject() ? injectObject(injector, (ObjectNode) n.deepCopy()) : n);
      }
      i++;
    }
    return out;
  }

  /** Injects one object (in place, and returned). */
  public static JsonNode injectObject(SidecarInjector injector, ObjectNode obj) {
    String kind = obj.path("kind").asText();
    if (kind.equals("List")) {
      JsonNode items = obj.path("items");
      if (items instanceof ArrayNode a) {
        for (int i = 0; i < a.size(); i++) {
          if (a.get(i) instanceof ObjectNode item) {
            a.set(i, injectObject(injector, item));
          }
        }
      }
      return obj;
    }
    JsonNode meta = obj.path("metadata");
    Workload w =
        new Workload(
            meta.path("name").asText(""),
            meta.path("namespace").asText(""),
            kind,
            obj.path("apiVersion").asText(""));
    ObjectNode holder; // the object whose metadata receives the pod's metadata
    ObjectNode specHolder; // the object whose spec receives the pod's spec
    if (kind.equals("Pod")) {
      holder = obj;
      specHolder = obj;
      w = null;
    } else if (kind.equals("CronJob")) {
      ObjectNode jobTemplate = object(object(obj, "spec"), "jobTemplate");
      holder = jobTemplate;
      specHolder = object(object(jobTemplate, "spec"), "template");
    } else if (TEMPLATED.contains(kind) && obj.path("spec").path("template").isObject()) {
      holder = (ObjectNode) obj.path("spec").path("template");
      specHolder = holder;
    } else {
      return obj;
    }
    if (specHolder.path("spec").path("hostNetwork").asBoolean(false)) {
      return obj;
    }
    ObjectNode pod = JsonNodeFactory.instance.objectNode();
    pod.put("apiVersion", "v1").put("kind", "Pod");
    pod.set(
        "metadata", holder.path("metadata").isObject() ? holder.get("metadata") : pod.objectNode());
    pod.set("spec", specHolder.path("spec").isObject() ? specHolder.get("spec") : pod.objectNode());
    String ns = pod.path("metadata").path("namespace").asText("");
    if (ns.isEmpty() && w != null) {
      ns = w.namespace();
    }
    InjectionResult r = injector.injectManifest(pod, ns, w);
    if (!r.injected()) {
      return obj;
    }
    ObjectNode injected = JSON.valueToTree(r.pod());
    holder.set("metadata", injected.path("metadata"));
    specHolder.set("spec", injected.path("spec"));
    return obj;
  }

  private static ObjectNode object(ObjectNode parent, String field) {
    return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
  }
}
