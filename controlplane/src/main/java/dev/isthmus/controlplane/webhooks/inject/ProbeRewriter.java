package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetActionBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ProbeRewriter} redirects application probes through the agent's status port, as Istio's
 * {@code rewriteAppHTTPProbe} does: each httpGet, tcpSocket or grpc readiness/liveness/startup
 * probe of an app container becomes an httpGet on {@code
 * <statusPort>/app-health/<container>/readyz|livez|startupz}, and the original is recorded in the
 * {@code ISTIO_KUBE_APP_PROBERS} JSON the agent reads. Exec probes are left alone.
 */
final class ProbeRewriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ProbeRewriter() {}

  /**
   * Whether to rewrite: the {@code sidecar.istio.io/rewriteAppHTTPProbers} annotation of the
   * injected pod (templates may set it), else {@code sidecarInjectorWebhook.rewriteAppHTTPProbe}.
   */
  static boolean enabled(Map<String, String> annotations, InjectionContext ctx) {
    String a = annotations.get("sidecar.istio.io/rewriteAppHTTPProbers");
    if (a != null) {
      return !a.equalsIgnoreCase("false");
    }
    return ctx.config.bool("sidecarInjectorWebhook.rewriteAppHTTPProbe", true)
        && !ctx.statusPort().equals("0");
  }

  /**
   * Rewrites the probes of {@code containers} in place.
   *
   * @return the {@code ISTIO_KUBE_APP_PROBERS} value, or null when nothing was rewritten
   */
  static String rewrite(List<Container> containers, int statusPort) {
    TreeMap<String, ObjectNode> probers = new TreeMap<>();
    for (Container c : containers) {
      if ("istio-proxy".equals(c.getName())) {
        continue;
      }
      c.setReadinessProbe(rewrite(c, c.getReadinessProbe(), "readyz", statusPort, probers));
      c.setLivenessProbe(rewrite(c, c.getLivenessProbe(), "livez", statusPort, probers));
      c.setStartupProbe(rewrite(c, c.getStartupProbe(), "startupz", statusPort, probers));
    }
    if (probers.isEmpty()) {
      return null;
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    probers.forEach(out::set);
    return out.toString();
  }

  private static Probe rewrite(
      Container c, Probe probe, String kind, int statusPort, TreeMap<String, ObjectNode> probers) {
    if (probe == null) {
      return null;
    }
    ObjectNode original = JsonNodeFactory.instance.objectNode();
    if (probe.getHttpGet() != null) {
      var get = probe.getHttpGet();
      ObjectNode h = JSON.valueToTree(get);
      h.put("port", resolvePort(c, get.getPort()));
      if (!h.has("scheme")) {
        h.put("scheme", "HTTP");
      }
      original.set("httpGet", h);
    } else if (probe.getTcpSocket() != null) {
      original.set(
          "tcpSocket",
          JsonNodeFactory.instance
              .objectNode()
              .put("port", resolvePort(c, probe.getTcpSocket().getPort())));
    } else if (probe.getGrpc() != null) {
      ObjectNode g = JsonNodeFactory.instance.objectNode().put("port", probe.getGrpc().getPort());
      if (probe.getGrpc().getService() != null) {
        g.put("service", probe.getGrpc().getService());
      }
      original.set("grpc", g);
    } else {
      return probe;
    }
    if (probe.getTimeoutSeconds() != null) {
      original.put("timeoutSeconds", probe.getTimeoutSeconds());
    }
    String path = "/app-health/" + c.getName() + "/" + kind;
    probers.put(path, original);
    Probe rewritten =
        new io.fabric8.kubernetes.api.model.ProbeBuilder(probe)
            .withHttpGet(null)
            .withTcpSocket(null)
            .withGrpc(null)
            .build();
    rewritten.setHttpGet(
        new HTTPGetActionBuilder()
            .withPath(path)
            .withPort(new IntOrString(statusPort))
            .withScheme("HTTP")
            .build());
    return rewritten;
  }

  private static int resolvePort(Container c, IntOrString port) {
    if (port == null) {
      throw new IllegalArgumentException(
          "spec.containers[" + c.getName() + "]: probe without port");
    }
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    String name = port.getStrVal();
    if (c.getPorts() != null) {
      for (ContainerPort p : c.getPorts()) {
        if (name.equals(p.getName())) {
          return p.getContainerPort();
        }
      }
    }
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "spec.containers["
              + c.getName()
              + "]: probe port \""
              + name
              + "\" names no container port",
          e);
    }
  }
}
