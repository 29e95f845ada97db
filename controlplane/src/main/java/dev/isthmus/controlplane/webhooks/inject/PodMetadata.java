package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code PodMetadata} is Istio's post-processing of the merged pod ({@code postProcessPod}):
 * Prometheus merge (the app's scrape settings move to {@code ISTIO_PROMETHEUS_ANNOTATIONS} and the
 * pod is scraped through the agent), probe rewrite through the agent ({@link ProbeRewriter}), the
 * config's {@code injectedAnnotations}, the {@code sidecar.istio.io/status} annotation listing what
 * the templates injected, and container order ({@code istio-proxy} first when the application waits
 * for the proxy, else last; {@code istio-validation} first and {@code istio-init} last among init
 * containers).
 */
final class PodMetadata {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROXY = "istio-proxy";

  private PodMetadata() {}

  static void apply(InjectionContext ctx, Pod pod, JsonNode templatePod) {
    var meta = pod.getMetadata();
    Map<String, String> annotations =
        new LinkedHashMap<>(meta.getAnnotations() == null ? Map.of() : meta.getAnnotations());
    if (meta.getLabels() == null) {
      meta.setLabels(new LinkedHashMap<>());
    }
    Container proxy = find(pod.getSpec().getContainers(), PROXY);
    if (proxy == null) {
      proxy = find(pod.getSpec().getInitContainers(), PROXY);
    }
    prometheusMerge(ctx, annotations, proxy);
    if (proxy != null && ProbeRewriter.enabled(annotations, ctx)) {
      String probers =
          ProbeRewriter.rewrite(pod.getSpec().getContainers(), statusPort(ctx.statusPort()));
      if (probers != null) {
        addEnv(proxy, env("ISTIO_KUBE_APP_PROBERS", probers));
      }
    }
    annotations.putAll(ctx.config.injectedAnnotations());
    annotations.put(InjectionPolicy.STATUS, status(ctx, templatePod));
    meta.setAnnotations(annotations);
    reorder(ctx, pod);
  }

  private static void addEnv(Container c, io.fabric8.kubernetes.api.model.EnvVar e) {
    List<io.fabric8.kubernetes.api.model.EnvVar> env =
        new ArrayList<>(c.getEnv() == null ? List.of() : c.getEnv());
    env.add(e);
    c.setEnv(env);
  }

  private static io.fabric8.kubernetes.api.model.EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static int statusPort(String port) {
    try {
      return Integer.parseInt(port.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "metadata.annotations[status.sidecar.istio.io/port]: expected an integer, got \""
              + port
              + "\"",
          e);
    }
  }

  private static void prometheusMerge(
      InjectionContext ctx, Map<String, String> annotations, Container proxy) {
    boolean merge =
        ctx.config.mesh().path("enablePrometheusMerge").asBoolean(true)
            && !"false".equalsIgnoreCase(annotations.get("prometheus.istio.io/merge-metrics"));
    if (!merge || "false".equalsIgnoreCase(annotations.get("prometheus.io/scrape"))) {
      return;
    }
    String target = ctx.proxyConfig.path("statusPort").asText("15020");
    if (target.equals(annotations.get("prometheus.io/port"))) {
      return;
    }
    ObjectNode scrape = JSON.createObjectNode();
    for (String k : List.of("scrape", "path", "port")) {
      if (annotations.containsKey("prometheus.io/" + k)) {
        scrape.put(k, annotations.get("prometheus.io/" + k));
      }
    }
    if (proxy != null && !scrape.isEmpty()) {
      addEnv(proxy, env("ISTIO_PROMETHEUS_ANNOTATIONS", scrape.toString()));
    }
    annotations.put("prometheus.io/port", target);
    annotations.put("prometheus.io/path", "/stats/prometheus");
    annotations.put("prometheus.io/scrape", "true");
  }

  /** Istio's {@code SidecarInjectionStatus}: names of what the templates added. */
  private static String status(InjectionContext ctx, JsonNode templatePod) {
    ObjectNode s = JSON.createObjectNode();
    JsonNode spec = templatePod.path("spec");
    s.set("initContainers", names(spec.path("initContainers"), "name"));
    s.set("containers", names(spec.path("containers"), "name"));
    s.set("volumes", names(spec.path("volumes"), "name"));
    s.set("imagePullSecrets", names(spec.path("imagePullSecrets"), "name"));
    s.put("revision", ctx.revision());
    return s.toString();
  }

  private static JsonNode names(JsonNode list, String key) {
    if (!list.isArray() || list.isEmpty()) {
      return null;
    }
    var out = JSON.createArrayNode();
    list.forEach(n -> out.add(n.path(key).asText()));
    return out;
  }

  private static Container find(List<Container> list, String name) {
    if (list == null) {
      return null;
    }
    return list.stream().filter(c -> name.equals(c.getName())).findFirst().orElse(null);
  }

  private static void reorder(InjectionContext ctx, Pod pod) {
    var spec = pod.getSpec();
    spec.setContainers(
        move(spec.getContainers(), PROXY::equals, ctx.holdApplicationUntilProxyStarts()));
    if (spec.getInitContainers() != null) {
      List<Container> inits = move(spec.getInitContainers(), "istio-validation"::equals, true);
      spec.setInitContainers(move(inits, "istio-init"::equals, false));
    }
  }

  private static List<Container> move(List<Container> in, Predicate<String> which, boolean first) {
    List<Container> moved = new ArrayList<>();
    List<Container> rest = new ArrayList<>();
    for (Container c : in) {
      (which.test(c.getName()) ? moved : rest).add(c);
    }
    if (first) {
      moved.addAll(rest);
      return moved;
    }
    rest.addAll(moved);
    return rest;
  }
}
