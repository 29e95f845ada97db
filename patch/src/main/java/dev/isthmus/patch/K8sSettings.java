package dev.isthmus.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code K8sSettings} turns the {@code k8s.*} settings of a component into strategic merges on its
 * rendered objects (see {@link Patcher} for the table of targets).
 */
final class K8sSettings {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Merges for pod templates, Services and the rest, keeping one-of fields valid. */
  private static final StrategicMerge WORKLOAD = StrategicMerge.POD.keepingUnionsValid();

  private static final StrategicMerge SERVICE = StrategicMerge.SERVICE.keepingUnionsValid();
  private static final StrategicMerge OTHER = StrategicMerge.ATOMIC_LISTS.keepingUnionsValid();

  /** Settings on the pod template spec. */
  private static final List<String> POD_SPEC =
      List.of(
          "affinity",
          "nodeSelector",
          "tolerations",
          "priorityClassName",
          "securityContext",
          "volumes");

  /** Settings on the main container. */
  private static final List<String> CONTAINER =
      List.of("env", "imagePullPolicy", "readinessProbe", "resources", "volumeMounts");

  /** Every field of the {@code k8s} block, with the JSON type it must have. */
  static final Map<String, String> FIELDS =
      Map.ofEntries(
          Map.entry("affinity", "map"),
          Map.entry("env", "list"),
          Map.entry("hpaSpec", "map"),
          Map.entry("imagePullPolicy", "string"),
          Map.entry("nodeSelector", "map"),
          Map.entry("podDisruptionBudget", "map"),
          Map.entry("podAnnotations", "map"),
          Map.entry("priorityClassName", "string"),
          Map.entry("readinessProbe", "map"),
          Map.entry("replicaCount", "integer"),
          Map.entry("resources", "map"),
          Map.entry("service", "map"),
          Map.entry("strategy", "map"),
          Map.entry("tolerations", "list"),
          Map.entry("serviceAnnotations", "map"),
          Map.entry("securityContext", "map"),
          Map.entry("volumes", "list"),
          Map.entry("volumeMounts", "list"),
          Map.entry("overlays", "list"));

  private final List<ObjectNode> objects;
  private final ObjectNode k8s;
  private final PatchTarget target;
  private final String fieldPath;

  K8sSettings(List<ObjectNode> objects, ObjectNode k8s, PatchTarget target, String fieldPath) {
    this.objects = objects;
    this.k8s = k8s;
    this.target = target;
    this.fieldPath = fieldPath;
  }

  void apply() {
    k8s.fieldNames()
        .forEachRemaining(
            f -> {
              if (!FIELDS.containsKey(f)) {
                throw new PatchException(
                    at(f),
                    "unknown field; expected one of " + new java.util.TreeSet<>(FIELDS.keySet()));
              }
              JsonNode v = k8s.get(f);
              if (!v.isNull() && !hasType(v, FIELDS.get(f))) {
                throw new PatchException(at(f), "expected a " + FIELDS.get(f) + " but found " + v);
              }
            });
    for (String f : POD_SPEC) {
      if (set(f)) {
        for (ObjectNode w : workloads(f)) {
          merge(node(w, "spec", "template", "spec"), f, k8s.get(f), WORKLOAD);
        }
      }
    }
    if (set("podAnnotations")) {
      for (ObjectNode w : workloads("podAnnotations")) {
        ObjectNode metadata = node(w, "spec", "template", "metadata");
        merge(node(metadata, "annotations"), "podAnnotations", OTHER);
      }
    }
    for (String f : CONTAINER) {
      if (set(f)) {
        for (ObjectNode w : workloads(f)) {
          merge(mainContainer(w, f), f, k8s.get(f), WORKLOAD);
        }
      }
    }
    if (set("replicaCount")) {
      List<ObjectNode> deployments = deploymentsOnly("replicaCount");
      if (!autoscaled()) {
        deployments.forEach(w -> node(w, "spec").set("replicas", k8s.get("replicaCount")));
      }
    }
    if (set("strategy")) {
      for (ObjectNode w : deploymentsOnly("strategy")) {
        merge(node(w, "spec"), "strategy", k8s.get("strategy"), OTHER);
      }
    }
    if (set("hpaSpec")) {
      for (ObjectNode hpa : named("HorizontalPodAutoscaler", target.workloadName())) {
        merge(node(hpa, "spec"), "hpaSpec", OTHER);
      }
    }
    if (set("podDisruptionBudget")) {
      podDisruptionBudget();
    }
    if (set("service")) {
      for (ObjectNode svc : services("service")) {
        merge(node(svc, "spec"), "service", SERVICE);
      }
    }
    if (set("serviceAnnotations")) {
      for (ObjectNode svc : services("serviceAnnotations")) {
        merge(node(svc, "metadata", "annotations"), "serviceAnnotations", OTHER);
      }
    }
  }

  private void podDisruptionBudget() {
    JsonNode pdb = k8s.get("podDisruptionBudget");
    boolean maxSet = pdb.hasNonNull("maxUnavailable");
    boolean minSet = pdb.hasNonNull("minAvailable");
    if (maxSet && minSet) {
      throw new PatchException(
          at("podDisruptionBudget"), "set either minAvailable or maxUnavailable, not both");
    }
    for (ObjectNode o : named("PodDisruptionBudget", target.workloadName())) {
      merge(node(o, "spec"), "podDisruptionBudget", OTHER);
      // Kubernetes accepts only one of the two: the one the user set wins over the rendered one.
      if (maxSet) {
        node(o, "spec").remove("minAvailable");
      } else if (minSet) {
        node(o, "spec").remove("maxUnavailable");
      }
    }
  }

  private boolean set(String field) {
    JsonNode v = k8s.get(field);
    return v != null && !v.isNull();
  }

  private String at(String field) {
    return field.isEmpty() ? fieldPath : fieldPath + "." + field;
  }

  private static boolean hasType(JsonNode v, String type) {
    return switch (type) {
      case "map" -> v.isObject();
      case "list" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      default -> false;
    };
  }

  /** Merges the map setting {@code setting} into {@code into}; errors name {@code k8s.setting}. */
  private void merge(ObjectNode into, String setting, StrategicMerge merge) {
    merge.merge(into, (ObjectNode) k8s.get(setting), at(setting));
  }

  /** Merges {@code {field: value}} into {@code into}; errors name {@code k8s.field}. */
  private void merge(ObjectNode into, String field, JsonNode value, StrategicMerge merge) {
    ObjectNode patch = NODES.objectNode().set(field, value);
    merge.merge(into, patch, fieldPath);
  }

  /** The map at {@code path} under {@code root}, created (or replacing a non-map) when needed. */
  private static ObjectNode node(ObjectNode root, String... path) {
    ObjectNode cur = root;
    for (String p : path) {
      JsonNode next = cur.get(p);
      if (!(next instanceof ObjectNode)) {
        next = cur.putObject(p);
      }
      cur = (ObjectNode) next;
    }
    return cur;
  }

  private List<ObjectNode> workloads(String field) {
    if (target.workloadKind() == null || target.workloadName() == null) {
      throw new PatchException(at(field), "the component has no workload to apply it to");
    }
    List<ObjectNode> out = named(target.workloadKind(), target.workloadName());
    if (out.isEmpty()) {
      throw new PatchException(
          at(field),
          "no " + target.workloadKind() + " named " + target.workloadName() + " was rendered");
    }
    return out;
  }

  private List<ObjectNode> deploymentsOnly(String field) {
    List<ObjectNode> out = workloads(field);
    if (!"Deployment".equals(target.workloadKind())) {
      throw new PatchException(
          at(field),
          "applies to a Deployment, but "
              + target.workloadName()
              + " is a "
              + target.workloadKind());
    }
    return out;
  }

  private ObjectNode mainContainer(ObjectNode workload, String field) {
    String name = target.containerName();
    if (name == null) {
      throw new PatchException(at(field), "the component has no main container");
    }
    for (JsonNode c : workload.path("spec").path("template").path("spec").path("containers")) {
      if (c instanceof ObjectNode o && name.equals(c.path("name").asText())) {
        return o;
      }
    }
    throw new PatchException(
        at(field),
        target.workloadKind() + " " + target.workloadName() + " has no container named " + name);
  }

  private List<ObjectNode> services(String field) {
    if (target.serviceName() == null) {
      throw new PatchException(at(field), "the component has no Service");
    }
    // Like Istio, a Service that was not rendered (e.g. disabled) is not an error.
    return named("Service", target.serviceName());
  }

  private boolean autoscaled() {
    for (ObjectNode o : objects) {
      if ("HorizontalPodAutoscaler".equals(o.path("kind").asText())
          && (target.workloadName().equals(o.path("metadata").path("name").asText())
              || target
                  .workloadName()
                  .equals(o.path("spec").path("scaleTargetRef").path("name").asText()))) {
        return true;
      }
    }
    return false;
  }

  private List<ObjectNode> named(String kind, String name) {
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode o : objects) {
      if (kind.equals(o.path("kind").asText())
          && name != null
          && name.equals(o.path("metadata").path("name").asText())) {
        out.add(o);
      }
    }
    return out;
  }
}
