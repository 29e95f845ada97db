package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code PodMetadata} is Istio's post-processing of the merged pod: the cluster and network the
 * proxy reports (values, a {@code topology.istio.io/network} label winning, moved to the end of its
 * environment, the network also labelled on the pod); Prometheus merge (the app's scrape settings,
 * {@code prometheus.istio.io/scrape-targets} included, move to {@code ISTIO_PROMETHEUS_ANNOTATIONS}
 * and the pod is scraped through the agent; annotation names compare as Prometheus sanitises them);
 * probe and hook rewrite through the agent ({@link ProbeRewriter}); the {@code
 * sidecar.istio.io/status} annotation listing what the templates injected and the config's {@code
 * injectedAnnotations}; container order ({@code istio-proxy} last unless the application waits for
 * it; with a native sidecar {@code istio-init}/{@code istio-validation}, then the proxy, first
 * among init containers; otherwise {@code istio-validation} first and {@code istio-init} last).
 */
final class PodMetadata {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROXY = "istio-proxy";

  private PodMetadata() {}

  static void apply(
      InjectionContext ctx, ObjectNode pod, JsonNode templatePod, boolean previouslyInjected) {
    ObjectNode meta = object(pod, "metadata");
    ObjectNode annotations = object(meta, "annotations");
    ObjectNode labels = object(meta, "labels");
    ObjectNode proxy = proxy(pod);
    Map<String, String> clusterEnv = new TreeMap<>();
    String cluster = ctx.config.text("global.multiCluster.clusterName", "");
    String network =
        labels.path("topology.istio.io/network").asText(ctx.config.text("global.network", ""));
    if (!cluster.isEmpty()) {
      clusterEnv.put("ISTIO_META_CLUSTER_ID", cluster);
    }
    if (!network.isEmpty()) {
      clusterEnv.put("ISTIO_META_NETWORK", network);
      labels.put("topology.istio.io/network", network);
    }
    if (proxy != null && !clusterEnv.isEmpty()) {
      ArrayNode env = proxy.withArray("env");
      for (int i = env.size() - 1; i >= 0; i--) {
        if (clusterEnv.containsKey(env.get(i).path("name").asText())) {
          env.remove(i);
        }
      }
      clusterEnv.forEach((k, v) -> env.addObject().put("name", k).put("value", v));
    }
    prometheusMerge(ctx, annotations, proxy);
    Map<String, String> ann = strings(annotations);
    if (proxy != null && ProbeRewriter.enabled(ann, ctx)) {
      long meshPort = Long.parseLong(ctx.meshStatusPort());
      String probers = ProbeRewriter.dump(pod, meshPort);
      if (probers != null) {
        ArrayNode env = proxy.withArray("env");
        JsonNode existing = null;
        if (previouslyInjected) {
          for (JsonNode e : env) {
            if (e.path("name").asText().equals("ISTIO_KUBE_APP_PROBERS")) {
              existing = e;
            }
          }
        }
        if (existing instanceof ObjectNode e) {
          e.put("value", ProbeRewriter.merge(e.path("value").asText(), probers));
        } else {
          env.addObject().put("name", "ISTIO_KUBE_APP_PROBERS").put("value", probers);
        }
      }
      String port = ann.get("status.sidecar.istio.io/port");
      ProbeRewriter.rewrite(pod, port == null ? meshPort : parsePort(port));
    }
    annotations.put(InjectionPolicy.STATUS, status(ctx, templatePod));
    ctx.config.injectedAnnotations().forEach(annotations::put);
    reorder(ctx, pod);
  }

  private static long parsePort(String port) {
    try {
      return Long.parseLong(port.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "metadata.annotations[status.sidecar.istio.io/port]: expected an integer, got \""
              + port
              + "\"",
          e);
    }
  }

  private static ObjectNode proxy(ObjectNode pod) {
    for (String list : List.of("containers", "initContainers")) {
      JsonNode c = Customisations.find(pod.path("spec").path(list), PROXY);
      if (c instanceof ObjectNode o) {
        return o;
      }
    }
    return null;
  }

  /** Prometheus's label sanitising: every character outside [a-zA-Z0-9_] becomes '_'. */
  private static String sanitize(String k) {
    return k.replaceAll("[^a-zA-Z0-9_]", "_");
  }

  private static void prometheusMerge(
      InjectionContext ctx, ObjectNode annotations, ObjectNode proxy) {
    String scrape = null;
    String path = null;
    String port = null;
    String targets = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = annotations.fields(); it.hasNext(); ) {
      var e = it.next();
      switch (sanitize(e.getKey())) {
        case "prometheus_io_scrape" -> scrape = e.getValue().asText();
        case "prometheus_io_path" -> path = e.getValue().asText();
        case "prometheus_io_port" -> port = e.getValue().asText();
        case "prometheus_istio_io_scrape_targets" -> targets = e.getValue().asText();
        default -> {}
      }
    }
    if (scrape != null) {
      String s = scrape.trim().toLowerCase(java.util.Locale.ROOT);
      if (s.equals("false") || s.equals("0") || s.equals("f")) {
        return;
      }
    }
    String mergeAnno = annotations.path("prometheus.istio.io/merge-metrics").asText(null);
    boolean merge =
        mergeAnno != null
            ? !mergeAnno.equalsIgnoreCase("false")
            : ctx.config.mesh().path("enablePrometheusMerge").asBoolean(true);
    if (!merge) {
      return;
    }
    String target = ctx.meshStatusPort();
    if (target.equals(port)) {
      return;
    }
    ObjectNode cfg = JSON.createObjectNode();
    if (scrape != null) {
      cfg.put("scrape", scrape);
    }
    ArrayNode parsed = targets == null ? null : parseTargets(targets);
    if (parsed != null && !parsed.isEmpty()) {
      port = parsed.get(0).path("port").asText();
      path = parsed.get(0).path("path").asText(null);
      for (JsonNode t : parsed) {
        checkPort(
            t.path("port").asText(), target, "invalid prometheus scrape targets: target port ");
      }
    } else if (port != null && !port.isEmpty()) {
      checkPort(port, target, "invalid prometheus scrape configuration: port ");
    }
    if (path != null && !path.isEmpty()) {
      cfg.put("path", path);
    }
    if (port != null && !port.isEmpty()) {
      cfg.put("port", port);
    }
    if (parsed != null && !parsed.isEmpty()) {
      cfg.set("targets", parsed);
    }
    if (proxy != null && !cfg.isEmpty()) {
      proxy
          .withArray("env")
          .addObject()
          .put("name", "ISTIO_PROMETHEUS_ANNOTATIONS")
          .put("value", cfg.toString());
    }
    List<String> remove = new ArrayList<>();
    annotations
        .fieldNames()
        .forEachRemaining(
            k -> {
              String s = sanitize(k);
              if (s.equals("prometheus_io_scrape")
                  || s.equals("prometheus_io_path")
                  || s.equals("prometheus_io_port")
                  || s.equals("prometheus_istio_io_scrape_targets")) {
                remove.add(k);
              }
            });
    remove.forEach(annotations::remove);
    annotations.put("prometheus.io/port", target);
    annotations.put("prometheus.io/path", "/stats/prometheus");
    annotations.put("prometheus.io/scrape", "true");
  }

  private static void checkPort(String port, String agentPort, String what) {
    int n;
    try {
      n = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > 65535) {
      throw new IllegalArgumentException(
          "metadata.annotations: " + what + "\"" + port + "\" is not a port number");
    }
    if (String.valueOf(n).equals(agentPort)) {
      throw new IllegalArgumentException(
          "metadata.annotations: " + what + port + " conflicts with the agent's port");
    }
  }

  private static ArrayNode parseTargets(String value) {
    ArrayNode out = JSON.createArrayNode();
    for (String t : value.split(",")) {
      String s = t.trim();
      if (s.isEmpty()) {
        continue;
      }
      int colon = s.indexOf(':');
      ObjectNode o = out.addObject();
      o.put("port", colon < 0 ? s : s.substring(0, colon));
      if (colon >= 0 && colon + 1 < s.length()) {
        o.put("path", s.substring(colon + 1));
      }
    }
    return out;
  }

  /** Istio's {@code SidecarInjectionStatus}: names of what the templates added. */
  private static String status(InjectionContext ctx, JsonNode templatePod) {
    ObjectNode s = JSON.createObjectNode();
    JsonNode spec = templatePod.path("spec");
    s.set("initContainers", names(spec.path("initContainers")));
    s.set("containers", names(spec.path("containers")));
    s.set("volumes", names(spec.path("volumes")));
    s.set("imagePullSecrets", names(spec.path("imagePullSecrets")));
    s.put("revision", ctx.revision());
    return s.toString();
  }

  private static JsonNode names(JsonNode list) {
    if (!list.isArray() || list.isEmpty()) {
      return null;
    }
    var out = JSON.createArrayNode();
    list.forEach(n -> out.add(n.path("name").asText()));
    return out;
  }

  private static void reorder(InjectionContext ctx, ObjectNode pod) {
    ObjectNode spec = object(pod, "spec");
    boolean hold = ctx.holdApplicationUntilProxyStarts();
    move(spec, "containers", PROXY, hold);
    if (Customisations.find(spec.path("initContainers"), PROXY) != null) {
      move(spec, "initContainers", "enable-core-dump", true);
      move(spec, "initContainers", PROXY, true);
      move(spec, "initContainers", "istio-validation", true);
      move(spec, "initContainers", "istio-init", true);
    } else {
      move(spec, "initContainers", "istio-validation", true);
      move(spec, "initContainers", "istio-init", false);
      move(spec, "initContainers", "enable-core-dump", false);
    }
  }

  private static void move(ObjectNode spec, String list, String name, boolean first) {
    if (!(spec.get(list) instanceof ArrayNode a)) {
      return;
    }
    for (int i = 0; i < a.size(); i++) {
      if (name.equals(a.get(i).path("name").asText())) {
        JsonNode c = a.remove(i);
        if (first) {
          a.insert(0, c);
        } else {
          a.add(c);
        }
        return;
      }
    }
  }

  private static Map<String, String> strings(ObjectNode o) {
    Map<String, String> out = new LinkedHashMap<>();
    o.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  private static ObjectNode object(ObjectNode parent, String field) {
    return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
  }
}
