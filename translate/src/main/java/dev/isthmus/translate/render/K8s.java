package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.Yamls;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code K8s} holds small builders shared by the component renderers. */
public final class K8s {
  private K8s() {}

  /** Converts a typed fabric8 object to a tree with sorted keys. */
  public static ObjectNode node(Object typed) {
    JsonNode n = Serialization.jsonMapper().valueToTree(typed);
    return (ObjectNode) Yamls.sorted(n);
  }

  /** Converts a tree to a fabric8 type (used to read user-provided Kubernetes snippets). */
  public static <T> T typed(JsonNode n, Class<T> type) {
    return Serialization.jsonMapper().convertValue(n, type);
  }

  /** Metadata with a name, an optional namespace and labels. */
  public static ObjectMeta meta(String name, String namespace, Map<String, String> labels) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(labels.isEmpty() ? null : new LinkedHashMap<>(labels))
        .build();
  }

  /** An ordered label map from alternating keys and values. */
  public static Map<String, String> labels(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  /** One RBAC rule. */
  public static PolicyRule rule(List<String> groups, List<String> resources, String... verbs) {
    return new PolicyRuleBuilder()
        .withApiGroups(groups)
        .withResources(resources)
        .withVerbs(verbs)
        .build();
  }

  /** A roleRef to a ClusterRole or Role. */
  public static RoleRef roleRef(String kind, String name) {
    return new RoleRef("rbac.authorization.k8s.io", kind, name);
  }

  /** A ServiceAccount subject. */
  public static Subject sa(String name, String namespace) {
    return new SubjectBuilder()
        .withKind("ServiceAccount")
        .withName(name)
        .withNamespace(namespace)
        .build();
  }

  /** An env var with a literal value. */
  public static EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  /** An env var from a pod field. */
  public static EnvVar fieldEnv(String name, String fieldPath) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withApiVersion("v1")
        .withFieldPath(fieldPath)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  /** An env var from a container resource (limits.cpu, limits.memory). */
  public static EnvVar resourceEnv(String name, String resource) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewResourceFieldRef()
        .withResource(resource)
        .withDivisor(new Quantity("1"))
        .endResourceFieldRef()
        .endValueFrom()
        .build();
  }

  /** Resource requirements from a values sub-tree ({@code requests}, {@code limits}). */
  public static ResourceRequirements resources(JsonNode n) {
    if (n == null || !n.isObject() || n.isEmpty()) {
      return null;
    }
    ResourceRequirements r = typed(n, ResourceRequirements.class);
    return r;
  }

  /** A Quantity-valued map from alternating keys and values. */
  public static Map<String, Quantity> quantities(String... kv) {
    Map<String, Quantity> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], new Quantity(kv[i + 1]));
    }
    return m;
  }

  /** The image reference {@code hub/name:tag}, or {@code name} itself when it has a slash. */
  public static String image(String hub, String name, String tag, String variant) {
    if (name.contains("/")) {
      return name;
    }
    String t = tag;
    if (variant != null && !variant.isEmpty() && !"debug".equals(variant)) {
      t = tag + "-" + variant;
    }
    return hub + "/" + name + ":" + t;
  }
}
