package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ProbeRewriter} redirects application probes and lifecycle hooks through the agent's status
 * port, as Istio's injector does: each httpGet, tcpSocket or grpc readiness/liveness/startup probe
 * and each httpGet or tcpSocket {@code preStop}/{@code postStart} hook of an application container
 * (init containers included) becomes an httpGet on {@code
 * <statusPort>/app-health/<container>/readyz|livez|startupz} or {@code
 * /app-lifecycle/<container>/prestopz|poststartz} (an HTTPS scheme becomes HTTP: the agent speaks
 * HTTPS to the application), and the original, with named ports resolved, goes into the {@code
 * ISTIO_KUBE_APP_PROBERS} JSON the agent reads. Exec probes are left alone; a probe already aimed
 * at the status port is not recorded again.
 */
final class ProbeRewriter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROXY = "istio-proxy";

  private ProbeRewriter() {}

  /**
   * Whether to rewrite: the {@code sidecar.istio.io/rewriteAppHTTPProbers} annotation, else {@code
   * sidecarInjectorWebhook.rewriteAppHTTPProbe}.
   */
  static boolean enabled(Map<String, String> annotations, InjectionContext ctx) {
    String a = annotations.get("sidecar.istio.io/rewriteAppHTTPProbers");
    if (a != null) {
      if (a.equalsIgnoreCase("true") || a.equals("1") || a.equalsIgnoreCase("t")) {
        return true;
      }
      if (a.equalsIgnoreCase("false") || a.equals("0") || a.equalsIgnoreCase("f")) {
        return false;
      }
    }
    return ctx.config.bool("sidecarInjectorWebhook.rewriteAppHTTPProbe", true);
  }

  /**
   * The {@code ISTIO_KUBE_APP_PROBERS} value for {@code pod}, or null when nothing is to be probed
   * through the agent.
   *
   * @param targetPort the mesh's status port: a probe already on it was rewritten before
   */
  static String dump(ObjectNode pod, long targetPort) {
    TreeMap<String, JsonNode> out = new TreeMap<>();
    for (JsonNode c : containers(pod)) {
      String name = c.path("name").asText();
      if (name.equals(PROXY)) {
        continue;
      }
      put(
          out,
          "/app-health/" + name + "/readyz",
          prober(c.path("readinessProbe"), c, targetPort, true));
      put(
          out,
          "/app-health/" + name + "/livez",
          prober(c.path("livenessProbe"), c, targetPort, true));
      put(
          out,
          "/app-health/" + name + "/startupz",
          prober(c.path("startupProbe"), c, targetPort, true));
      JsonNode lc = c.path("lifecycle");
      put(
          out,
          "/app-lifecycle/" + name + "/prestopz",
          prober(lc.path("preStop"), c, targetPort, false));
      put(
          out,
          "/app-lifecycle/" + name + "/poststartz",
          prober(lc.path("postStart"), c, targetPort, false));
    }
    if (out.isEmpty()) {
      return null;
    }
    ObjectNode o = JSON.createObjectNode();
    out.forEach(o::set);
    return o.toString();
  }

  private static void put(TreeMap<String, JsonNode> out, String key, JsonNode v) {
    if (v != null) {
      out.put(key, v);
    }
  }

  private static JsonNode prober(JsonNode probe, JsonNode c, long targetPort, boolean isProbe) {
    if (!probe.isObject()) {
      return null;
    }
    ObjectNode p = JSON.createObjectNode();
    String kind;
    if (probe.has("httpGet")) {
      kind = "httpGet";
    } else if (probe.has("tcpSocket")) {
      kind = "tcpSocket";
    } else if (isProbe && probe.has("grpc")) {
      kind = "grpc";
    } else {
      return null;
    }
    ObjectNode action = probe.get(kind).deepCopy();
    p.set(kind, action);
    if (isProbe && probe.path("timeoutSeconds").asLong(0) != 0) {
      p.put("timeoutSeconds", probe.path("timeoutSeconds").asLong());
    }
    if (kind.equals("grpc")) {
      return p;
    }
    JsonNode port = action.path("port");
    if (port.isTextual() && !port.asText().matches("\\d+")) {
      Long resolved = null;
      for (JsonNode cp : c.path("ports")) {
        if (port.asText().equals(cp.path("name").asText())) {
          resolved = cp.path("containerPort").asLong();
        }
      }
      if (resolved == null) {
        return null;
      }
      action.put("port", resolved.intValue());
    } else if (port.asLong(-1) == targetPort) {
      return null;
    }
    return p;
  }

  /**
   * Points every probe and hook of the application containers at the agent on {@code statusPort}.
   */
  static void rewrite(ObjectNode pod, long statusPort) {
    for (JsonNode c : containers(pod)) {
      String name = c.path("name").asText();
      if (name.equals(PROXY) || !(c instanceof ObjectNode co)) {
        continue;
      }
      convert(co, "readinessProbe", "/app-health/" + name + "/readyz", statusPort, true);
      convert(co, "livenessProbe", "/app-health/" + name + "/livez", statusPort, true);
      convert(co, "startupProbe", "/app-health/" + name + "/startupz", statusPort, true);
      if (co.get("lifecycle") instanceof ObjectNode lc) {
        convert(lc, "preStop", "/app-lifecycle/" + name + "/prestopz", statusPort, false);
        convert(lc, "postStart", "/app-lifecycle/" + name + "/poststartz", statusPort, false);
      }
    }
  }

  private static void convert(
      ObjectNode holder, String field, String url, long port, boolean probe) {
    if (!(holder.get(field) instanceof ObjectNode p)) {
      return;
    }
    ObjectNode get;
    if (p.get("httpGet") instanceof ObjectNode h) {
      get = h;
    } else if (p.has("tcpSocket") || (probe && p.has("grpc"))) {
      p.remove("tcpSocket");
      p.remove("grpc");
      get = p.putObject("httpGet");
    } else {
      return;
    }
    get.put("path", url);
    get.put("port", (int) port);
    if ("HTTPS".equals(get.path("scheme").asText())) {
      get.put("scheme", "HTTP");
    }
  }

  private static List<JsonNode> containers(ObjectNode pod) {
    List<JsonNode> out = new ArrayList<>();
    pod.path("spec").path("initContainers").forEach(out::add);
    pod.path("spec").path("containers").forEach(out::add);
    return out;
  }

  /** Merges new probers into an existing {@code ISTIO_KUBE_APP_PROBERS} value (existing win). */
  static String merge(String existing, String fresh) {
    try {
      ObjectNode n = (ObjectNode) JSON.readTree(fresh);
      JsonNode old = JSON.readTree(existing);
      old.fields().forEachRemaining(e -> n.set(e.getKey(), e.getValue()));
      return n.toString();
    } catch (Exception e) {
      return existing;
    }
  }

  static ArrayNode env(ObjectNode container) {
    return container.withArray("env");
  }
}
