package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.gotmpl.GoStruct;
import dev.isthmus.gotmpl.GoValues;
import dev.isthmus.gotmpl.Template;
import dev.isthmus.patch.StrategicMerge;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code GatewayDeployment} renders the workload of an automated Gateway API deployment, as Istio's
 * deployment controller does: the injector's {@code kube-gateway} template (from the {@code
 * istio-sidecar-injector} ConfigMap, so a customised template takes effect) run with the Gateway,
 * its names ({@code <gateway>-<class>}, or the {@code gateway.istio.io/name-override} and {@code
 * gateway.istio.io/service-account} annotations), the Service ports of its listeners, the Service
 * type ({@code networking.istio.io/service-type}, else LoadBalancer), the infrastructure labels and
 * annotations ({@code spec.infrastructure}, else the Gateway's own), and the mesh's proxy settings.
 * Overlays from the class's defaults ConfigMap and from {@code spec.infrastructure.parametersRef}
 * are merged per kind (deployment, service, serviceAccount, horizontalPodAutoscaler,
 * podDisruptionBudget); the autoscaler and the disruption budget exist only when an overlay asks
 * for them. Pure: no cluster access.
 */
public final class GatewayDeployment {
  /** The template Istio's {@code istio} GatewayClass renders. */
  public static final String TEMPLATE = "kube-gateway";

  /** The label of every object the controller manages, with the controller's name as value. */
  public static final String MANAGED = "gateway.istio.io/managed";

  static final String MANAGED_BY = "istio.io-gateway-controller";
  static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
  static final Set<String> KINDS =
      Set.of(
          "Deployment",
          "Service",
          "ServiceAccount",
          "HorizontalPodAutoscaler",
          "PodDisruptionBudget");
  private static final Map<String, String> OVERLAY_KEYS =
      Map.of(
          "Deployment", "deployment",
          "Service", "service",
          "ServiceAccount", "serviceAccount",
          "HorizontalPodAutoscaler", "horizontalPodAutoscaler",
          "PodDisruptionBudget", "podDisruptionBudget");
  private static final Set<String> REQUIRE_OVERLAY =
      Set.of("horizontalPodAutoscaler", "podDisruptionBudget");
  private static final ObjectMapper JSON = new ObjectMapper();

  private GatewayDeployment() {}

  /**
   * What the rendering depends on besides the Gateway and the injector.
   *
   * @param clusterId the cluster's id ({@code Kubernetes} by default)
   * @param revision the control plane's revision
   * @param kubeVersion the API server's version as {@code major*100+minor} (owner references on the
   *     ServiceAccount need 1.28)
   */
  public record Settings(String clusterId, String revision, int kubeVersion) {}

  /**
   * Whether the controller deploys this Gateway: no {@code spec.addresses}, or a single IP address
   * (given to the Service as its load balancer IP). A Hostname address names an existing Service
   * that the user deploys (manual deployment).
   */
  public static boolean managed(JsonNode gateway) {
    JsonNode addresses = gateway.path("spec").path("addresses");
    if (!addresses.isArray() || addresses.isEmpty()) {
      return true;
    }
    if (addresses.size() > 1) {
      return false;
    }
    String type = addresses.get(0).path("type").asText("IPAddress");
    return type.isEmpty() || type.equals("IPAddress");
  }

  /** The Deployment's (and Service's) name. */
  public static String deploymentName(JsonNode gateway) {
    String override = annotation(gateway, "gateway.istio.io/name-override");
    return override != null ? override : defaultName(gateway);
  }

  /** The ServiceAccount's name. */
  public static String serviceAccountName(JsonNode gateway) {
    String override = annotation(gateway, "gateway.istio.io/service-account");
    return override != null ? override : defaultName(gateway);
  }

  private static String defaultName(JsonNode gateway) {
    return gateway.path("metadata").path("name").asText()
        + "-"
        + gateway.path("spec").path("gatewayClassName").asText();
  }

  private static String annotation(JsonNode gateway, String key) {
    JsonNode v = gateway.path("metadata").path("annotations").path(key);
    return v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
  }

  /**
   * The objects to apply, in the template's order, each labelled {@value #MANAGED}.
   *
   * @param overlays the data of the class-defaults ConfigMap and of the parameters ConfigMap, in
   *     that order (keys {@code deployment}, {@code service}, …, values YAML patches)
   * @throws IllegalArgumentException naming what is wrong: no such template, an unsupported overlay
   *     key, an overlay that changes an object's identity, or a rendered object of a kind,
   *     namespace or name the controller must not write
   */
  public static List<ObjectNode> render(
      InjectionConfig injector,
      JsonNode gateway,
      List<Map<String, String>> overlays,
      Settings settings) {
    return render(injector, gateway, List.of(), overlays, settings);
  }

  /**
   * As {@link #render(InjectionConfig, JsonNode, List, Settings)}, with the listeners of the
   * ListenerSets attached to the Gateway (their entries, after the Gateway's own) among the
   * Service's ports.
   */
  public static List<ObjectNode> render(
      InjectionConfig injector,
      JsonNode gateway,
      List<JsonNode> listenerSetListeners,
      List<Map<String, String>> overlays,
      Settings settings) {
    Template t = injector.templates().get(TEMPLATE);
    if (t == null) {
      throw new IllegalArgumentException(
          "no \"" + TEMPLATE + "\" template in the injector configuration");
    }
    for (Map<String, String> o : overlays) {
      for (String key : o.keySet()) {
        if (!OVERLAY_KEYS.containsValue(key)) {
          throw new IllegalArgumentException(
              "unsupported overlay \""
                  + key
                  + "\" (supported: deployment, horizontalPodAutoscaler, podDisruptionBudget,"
                  + " service, serviceAccount)");
        }
      }
    }
    String text = t.execute(data(injector, gateway, listenerSetListeners, settings));
    List<ObjectNode> out = new ArrayList<>();
    String namespace = gateway.path("metadata").path("namespace").asText();
    Set<String> names =
        new HashSet<>(List.of(deploymentName(gateway), serviceAccountName(gateway)));
    for (String doc : text.split("(?m)^---\\s*$")) {
      Object parsed = Serialization.unmarshal(doc, Object.class);
      if (parsed == null) {
        continue;
      }
      ObjectNode o = JSON.valueToTree(parsed);
      String kind = o.path("kind").asText();
      if (!KINDS.contains(kind)) {
        throw new IllegalArgumentException(
            "template " + TEMPLATE + " rendered a " + kind + ", which the controller never writes");
      }
      if (!overlay(o, overlays)) {
        continue;
      }
      String name = o.path("metadata").path("name").asText();
      if (!o.path("metadata").path("namespace").asText().equals(namespace)) {
        throw new IllegalArgumentException(
            kind + " " + name + ": namespace differs from the Gateway's (" + namespace + ")");
      }
      if (!names.contains(name)
          && !name.startsWith(gateway.path("metadata").path("name").asText())) {
        throw new IllegalArgumentException(
            kind + " " + name + ": not a name of this Gateway's deployment " + names);
      }
      ((ObjectNode) o.with("metadata").with("labels")).put(MANAGED, MANAGED_BY);
      out.add(o);
    }
    return out;
  }

  /** Applies the overlays of the object's kind; false when it exists only with one and has none. */
  private static boolean overlay(ObjectNode o, List<Map<String, String>> overlays) {
    String key = OVERLAY_KEYS.get(o.path("kind").asText());
    JsonNode before = o.path("metadata").deepCopy();
    boolean applied = false;
    for (Map<String, String> data : overlays) {
      String patch = data.get(key);
      if (patch == null) {
        continue;
      }
      Object parsed = Serialization.unmarshal(patch, Object.class);
      if (parsed != null) {
        JsonNode p = JSON.valueToTree(parsed);
        if (!p.isObject()) {
          throw new IllegalArgumentException("overlay " + key + ": expected an object");
        }
        StrategicMerge.POD.merge(o, (ObjectNode) p, key);
      }
      applied = true;
    }
    if (!applied && REQUIRE_OVERLAY.contains(key)) {
      return false;
    }
    for (String identity :
        List.of("name", "namespace", "uid", "ownerReferences", "finalizers", "managedFields")) {
      if (!before.path(identity).equals(o.path("metadata").path(identity))) {
        throw new IllegalArgumentException(
            "overlay " + key + ": changes metadata." + identity + ", which is not allowed");
      }
    }
    return true;
  }

  /** Istio's template input: the Gateway with its fields promoted, and the derived settings. */
  static Map<String, Object> data(
      InjectionConfig injector, JsonNode gateway, List<JsonNode> listenerSetListeners, Settings s) {
    JsonNode meta = gateway.path("metadata");
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("TypeMeta", new GoStruct(Map.of("kind", "Gateway", "apiVersion", apiVersion(gateway))));
    d.put("ObjectMeta", GoValues.struct(meta));
    d.put("Name", meta.path("name").asText());
    d.put("Namespace", meta.path("namespace").asText());
    d.put("UID", meta.path("uid").asText());
    d.put("Labels", GoValues.plain(meta.path("labels")));
    d.put("Annotations", GoValues.plain(meta.path("annotations")));
    d.put("Spec", GoValues.struct(gateway.path("spec")));
    d.put("Status", GoValues.struct(gateway.path("status")));
    String gatewayClass = gateway.path("spec").path("gatewayClassName").asText();
    d.put("GatewayClass", gatewayClass);
    d.put("DeploymentName", deploymentName(gateway));
    d.put("ServiceAccount", serviceAccountName(gateway));
    d.put("Ports", ports(gateway, listenerSetListeners));
    String serviceType = annotation(gateway, "networking.istio.io/service-type");
    d.put("ServiceType", serviceType != null ? serviceType : "LoadBalancer");
    d.put("ClusterID", s.clusterId());
    d.put("KubeVersion", (long) s.kubeVersion());
    d.put("Revision", s.revision());
    d.put(
        "NativeSidecars",
        !"false".equalsIgnoreCase(injector.text("pilot.env.ENABLE_NATIVE_SIDECARS", "true")));
    d.put("ProxyUID", 1337L);
    d.put("ProxyGID", 1337L);
    d.put("CompliancePolicy", injector.text("pilot.env.COMPLIANCE_POLICY", ""));
    Map<String, Object> labels = infrastructure(gateway, "labels");
    boolean waypointOrEastWest =
        gatewayClass.contains("waypoint") || gatewayClass.contains("east-west");
    if (!waypointOrEastWest && !labels.containsKey("istio.io/dataplane-mode")) {
      // not a waypoint: the gateway's own pods are never captured by ambient redirection
      labels.put("istio.io/dataplane-mode", "none");
    }
    d.put("InfrastructureLabels", labels);
    d.put("InfrastructureAnnotations", infrastructure(gateway, "annotations"));
    d.put("GatewayNameLabel", GATEWAY_NAME_LABEL);
    d.put("IsEastWestGateway", false);
    d.put("ControllerLabel", MANAGED_BY);
    d.put("ProxyImage", injector.image("global.proxy.image", annotation(gateway, PROXY_IMAGE)));
    GoStruct pc = (GoStruct) GoValues.struct(injector.meshDefaultConfig());
    d.put("ProxyConfig", new GoStruct(pc.fields(), Map.of("interceptionMode", "REDIRECT")));
    d.put("MeshConfig", GoValues.struct(injector.mesh()));
    d.put("Values", GoValues.plain(injector.values()));
    return d;
  }

  static final String PROXY_IMAGE = "sidecar.istio.io/proxyImage";

  private static String apiVersion(JsonNode gateway) {
    return gateway.path("apiVersion").asText("gateway.networking.k8s.io/v1");
  }

  /**
   * {@code spec.infrastructure.<kind>} without the reserved {@code gateway.networking.k8s.io/}
   * prefix, else the Gateway's own labels or annotations (Istio copies them by default).
   */
  static Map<String, Object> infrastructure(JsonNode gateway, String kind) {
    JsonNode infra = gateway.path("spec").path("infrastructure").path(kind);
    Map<String, Object> out = new LinkedHashMap<>();
    if (infra.isObject()) {
      infra
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().startsWith("gateway.networking.k8s.io/")) {
                  out.put(e.getKey(), e.getValue().asText());
                }
              });
      return out;
    }
    gateway
        .path("metadata")
        .path(kind)
        .fields()
        .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  /**
   * The Service ports: {@code status-port} 15021, then one per distinct listener port, named after
   * the listener (periods become dashes, at most 63 characters, made unique with the port number),
   * with the listener's protocol in lower case as application protocol. The listeners of attached
   * ListenerSets follow the Gateway's own; one without a port takes its protocol's (HTTP 80, HTTPS
   * 443) or is left out.
   */
  static List<GoStruct> ports(JsonNode gateway, List<JsonNode> listenerSetListeners) {
    List<GoStruct> out = new ArrayList<>();
    out.add(port("status-port", 15021, "tcp"));
    Set<Long> seen = new HashSet<>();
    Set<String> used = new HashSet<>(Set.of("status-port"));
    List<JsonNode> listeners = new ArrayList<>();
    gateway.path("spec").path("listeners").forEach(listeners::add);
    listeners.addAll(listenerSetListeners);
    int i = 0;
    for (JsonNode l : listeners) {
      long number =
          l.path("port")
              .asLong(
                  switch (l.path("protocol").asText()) {
                    case "HTTP" -> 80;
                    case "HTTPS" -> 443;
                    default -> 0;
                  });
      if (number == 0) {
        i++;
        continue;
      }
      String protocol = l.path("protocol").asText().toLowerCase(Locale.ROOT);
      int index = i++;
      if (!seen.add(number)) {
        continue;
      }
      String name = l.path("name").asText().replace('.', '-');
      if (name.length() > 63) {
        name = name.substring(0, 63);
      }
      if (name.isEmpty()) {
        name = protocol + "-" + index;
      }
      out.add(port(unique(name, number, used), number, protocol));
    }
    return out;
  }

  private static String unique(String name, long port, Set<String> used) {
    String candidate = name;
    for (String suffix = "-" + port; used.contains(candidate); suffix += "x") {
      String trimmed =
          name.length() + suffix.length() > 63 ? name.substring(0, 63 - suffix.length()) : name;
      candidate = trimmed + suffix;
    }
    used.add(candidate);
    return candidate;
  }

  private static GoStruct port(String name, long number, String appProtocol) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("port", number);
    m.put("protocol", "TCP");
    m.put("appProtocol", appProtocol);
    return new GoStruct(m);
  }
}
