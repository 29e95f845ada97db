package dev.isthmus.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/** Conversions and names for rendered objects. */
final class Objects {
  private Objects() {}

  static List<GenericKubernetesResource> toResources(
      KubernetesClient client, List<ObjectNode> nodes) {
    List<GenericKubernetesResource> out = new ArrayList<>(nodes.size());
    for (ObjectNode node : nodes) {
      out.add(
          client.getKubernetesSerialization().convertValue(node, GenericKubernetesResource.class));
    }
    return out;
  }

  /** Identity of an object independent of API version: {@code Kind/namespace/name}. */
  static String key(HasMetadata o) {
    return key(o.getKind(), o.getMetadata().getNamespace(), o.getMetadata().getName());
  }

  /** The same identity for a rendered object. */
  static String key(ObjectNode o) {
    JsonNode meta = o.path("metadata");
    return key(
        o.path("kind").asText(),
        meta.path("namespace").isTextual() ? meta.path("namespace").asText() : null,
        meta.path("name").asText());
  }

  static String key(String kind, String namespace, String name) {
    return kind + "/" + (namespace == null ? "" : namespace) + "/" + name;
  }

  static String describe(HasMetadata o) {
    String ns = o.getMetadata().getNamespace();
    return o.getKind() + " " + (ns == null ? "" : ns + "/") + o.getMetadata().getName();
  }
}
