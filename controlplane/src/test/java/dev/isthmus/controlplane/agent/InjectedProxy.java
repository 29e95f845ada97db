package dev.isthmus.controlplane.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isthmus.controlplane.webhooks.inject.InjectionConfig;
import dev.isthmus.controlplane.webhooks.inject.InjectionResult;
import dev.isthmus.controlplane.webhooks.inject.InjectorFixtures;
import dev.isthmus.controlplane.webhooks.inject.SidecarInjector;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code istio-proxy} container of a pod as Isthmus's sidecar injector renders it from the
 * installer's default profile, resolved as the kubelet would run it: downward-API and resource
 * values filled in, {@code $(VAR)} references in the arguments expanded, and the pod's labels and
 * annotations as the downward-API files hold them.
 *
 * @param args the container's arguments ({@code proxy sidecar ...})
 * @param env the container's environment, resolved
 * @param labels the injected pod's labels
 * @param annotations the injected pod's annotations
 */
record InjectedProxy(
    List<String> args,
    Map<String, String> env,
    Map<String, String> labels,
    Map<String, String> annotations) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  /**
   * Injects pod {@code name} (one app container {@code app} serving HTTP on 8080) of namespace
   * {@code ns}, running as {@code serviceAccount}, into a mesh whose control plane lives in {@code
   * istioNamespace}; {@code sets} are further installer settings ({@code --set}).
   */
  static InjectedProxy inject(
      String ns,
      String name,
      String serviceAccount,
      Map<String, String> labels,
      String istioNamespace,
      List<String> sets,
      String podIp) {
    List<String> all = new ArrayList<>();
    all.add("values.global.istioNamespace=" + istioNamespace);
    all.addAll(sets);
    Map<String, String> rendered = InjectorFixtures.rendered(all);
    InjectionConfig cfg =
        InjectionConfig.parse(
            Map.of("config", rendered.get("config"), "values", rendered.get("values")),
            rendered.get("mesh"));
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(serviceAccount)
            .addNewContainer()
            .withName("app")
            .withImage("app:1")
            .addNewPort()
            .withName("http")
            .withContainerPort(8080)
            .withProtocol("TCP")
            .endPort()
            .endContainer()
            .endSpec()
            .build();
    InjectionResult r =
        new SidecarInjector(() -> cfg, istioNamespace, n -> Map.of("istio-injection", "enabled"))
            .inject(JSON.valueToTree(pod), ns);
    if (!r.injected()) {
      throw new AssertionError("the pod was not injected: " + r.reason());
    }
    return resolve(r.pod(), podIp);
  }

  /** The {@code istio-proxy} container of {@code pod}, as the kubelet would start it. */
  static InjectedProxy resolve(Pod pod, String podIp) {
    Container proxy =
        pod.getSpec().getContainers().stream()
            .filter(c -> c.getName().equals("istio-proxy"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no istio-proxy container"));
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : proxy.getEnv()) {
      env.put(
          e.getName(),
          e.getValueFrom() == null
              ? expand(e.getValue(), env)
              : value(e.getValueFrom(), pod, proxy, podIp));
    }
    List<String> args = proxy.getArgs().stream().map(a -> expand(a, env)).toList();
    return new InjectedProxy(
        args,
        env,
        Map.copyOf(pod.getMetadata().getLabels()),
        pod.getMetadata().getAnnotations() == null
            ? Map.of()
            : Map.copyOf(pod.getMetadata().getAnnotations()));
  }

  private static String value(EnvVarSource from, Pod pod, Container c, String podIp) {
    if (from.getFieldRef() != null) {
      String path = from.getFieldRef().getFieldPath();
      return switch (path) {
        case "metadata.name" -> pod.getMetadata().getName();
        case "metadata.namespace" -> pod.getMetadata().getNamespace();
        case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
        case "spec.nodeName" -> "node-a";
        case "status.podIP" -> podIp;
        case "status.hostIP" -> "127.0.0.1";
        default -> throw new AssertionError("fieldRef " + path + " not resolved by the test");
      };
    }
    if (from.getResourceFieldRef() != null) {
      String resource = from.getResourceFieldRef().getResource();
      Quantity divisor = from.getResourceFieldRef().getDivisor();
      BigDecimal d = divisor == null ? BigDecimal.ONE : Quantity.getAmountInBytes(divisor);
      Map<String, Quantity> limits =
          c.getResources() == null || c.getResources().getLimits() == null
              ? Map.of()
              : c.getResources().getLimits();
      // without a limit the kubelet reports the node's allocatable amount
      Quantity q =
          switch (resource) {
            case "limits.cpu" -> limits.getOrDefault("cpu", new Quantity("2"));
            case "limits.memory" -> limits.getOrDefault("memory", new Quantity("4Gi"));
            default -> throw new AssertionError("resourceFieldRef " + resource + " not resolved");
          };
      return Quantity.getAmountInBytes(q).divide(d, 0, RoundingMode.CEILING).toPlainString();
    }
    throw new AssertionError("env source " + from + " not resolved by the test");
  }

  /** Kubernetes' {@code $(VAR)} expansion from the variables defined before. */
  private static String expand(String s, Map<String, String> env) {
    if (s == null) {
      return "";
    }
    Matcher m = VAR.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = env.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v == null ? m.group() : v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The content of a downward-API file of {@code values}: {@code key="value"} lines, Go-quoted. */
  static String downwardApi(Map<String, String> values) {
    StringBuilder out = new StringBuilder();
    new java.util.TreeMap<>(values)
        .forEach(
            (k, v) ->
                out.append(k)
                    .append("=\"")
                    .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                    .append("\"\n"));
    return out.toString();
  }

  /** {@code PROXY_CONFIG} with {@code changes} applied (discovery address, binary path...). */
  static String proxyConfig(String json, Map<String, Object> changes) {
    try {
      var node = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(json);
      changes.forEach((k, v) -> node.set(k, JSON.valueToTree(v)));
      return JSON.writeValueAsString(node);
    } catch (Exception e) {
      throw new AssertionError("PROXY_CONFIG is not JSON: " + json, e);
    }
  }

  /** The JSON field {@code field} of {@code PROXY_CONFIG}. */
  static JsonNode proxyConfigField(String json, String field) {
    try {
      return JSON.readTree(json).path(field);
    } catch (Exception e) {
      throw new AssertionError("PROXY_CONFIG is not JSON: " + json, e);
    }
  }
}
