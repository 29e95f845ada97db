package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code ServerDefaults} writes out the values the API server would default, after k8s settings and
 * overlays are applied, so a desired object equals what the server stores and server-side apply
 * reaches a fixed point. Only absent fields are filled; nothing set is overwritten.
 */
public final class ServerDefaults {
  private ServerDefaults() {}

  /** Fills defaults into {@code obj} in place. {@code pullPolicy} is global.imagePullPolicy. */
  public static void fill(ObjectNode obj, String pullPolicy) {
    String kind = obj.path("kind").asText();
    switch (kind) {
      case "Deployment" -> {
        ObjectNode spec = obj.with("spec");
        spec.putIfAbsent("revisionHistoryLimit", spec.numberNode(10));
        spec.putIfAbsent("progressDeadlineSeconds", spec.numberNode(600));
        ObjectNode strategy = spec.with("strategy");
        strategy.putIfAbsent("type", strategy.textNode("RollingUpdate"));
        pod(spec.with("template").with("spec"), pullPolicy);
      }
      case "DaemonSet" -> {
        ObjectNode spec = obj.with("spec");
        spec.putIfAbsent("revisionHistoryLimit", spec.numberNode(10));
        pod(spec.with("template").with("spec"), pullPolicy);
      }
      case "Service" -> service(obj.with("spec"));
      default -> {}
    }
  }

  private static void service(ObjectNode spec) {
    spec.putIfAbsent("type", spec.textNode("ClusterIP"));
    spec.putIfAbsent("sessionAffinity", spec.textNode("None"));
    for (JsonNode p : spec.path("ports")) {
      if (p instanceof ObjectNode port) {
        port.putIfAbsent("protocol", port.textNode("TCP"));
        if (!port.has("targetPort") && port.has("port")) {
          port.set("targetPort", port.get("port"));
        }
      }
    }
  }

  private static void pod(ObjectNode pod, String pullPolicy) {
    pod.putIfAbsent("dnsPolicy", pod.textNode("ClusterFirst"));
    pod.putIfAbsent("restartPolicy", pod.textNode("Always"));
    pod.putIfAbsent("schedulerName", pod.textNode("default-scheduler"));
    pod.putIfAbsent("securityContext", pod.objectNode());
    pod.putIfAbsent("terminationGracePeriodSeconds", pod.numberNode(30));
    for (String list : new String[] {"containers", "initContainers"}) {
      for (JsonNode c : pod.path(list)) {
        if (c instanceof ObjectNode container) {
          container(container, pullPolicy);
        }
      }
    }
    for (JsonNode v : pod.path("volumes")) {
      if (!(v instanceof ObjectNode vol)) {
        continue;
      }
      for (String src : new String[] {"configMap", "secret", "projected", "downwardAPI"}) {
        if (vol.get(src) instanceof ObjectNode s) {
          s.putIfAbsent("defaultMode", s.numberNode(420));
        }
      }
      if (vol.get("hostPath") instanceof ObjectNode hp) {
        hp.putIfAbsent("type", hp.textNode(""));
      }
      if (vol.get("downwardAPI") instanceof ObjectNode d) {
        for (JsonNode item : d.path("items")) {
          if (item.get("fieldRef") instanceof ObjectNode f) {
            f.putIfAbsent("apiVersion", f.textNode("v1"));
          }
        }
      }
    }
  }

  private static void container(ObjectNode c, String pullPolicy) {
    String image = c.path("image").asText();
    String policy =
        pullPolicy != null && !pullPolicy.isEmpty()
            ? pullPolicy
            : image.endsWith(":latest") || !image.contains(":") ? "Always" : "IfNotPresent";
    c.putIfAbsent("imagePullPolicy", c.textNode(policy));
    c.putIfAbsent("terminationMessagePath", c.textNode("/dev/termination-log"));
    c.putIfAbsent("terminationMessagePolicy", c.textNode("File"));
    for (JsonNode p : c.path("ports")) {
      if (p instanceof ObjectNode port) {
        port.putIfAbsent("protocol", port.textNode("TCP"));
      }
    }
    for (String probe : new String[] {"readinessProbe", "livenessProbe", "startupProbe"}) {
      if (c.get(probe) instanceof ObjectNode pr) {
        pr.putIfAbsent("timeoutSeconds", pr.numberNode(1));
        pr.putIfAbsent("periodSeconds", pr.numberNode(10));
        pr.putIfAbsent("successThreshold", pr.numberNode(1));
        pr.putIfAbsent("failureThreshold", pr.numberNode(3));
        if (pr.get("httpGet") instanceof ObjectNode h) {
          h.putIfAbsent("scheme", h.textNode("HTTP"));
        }
      }
    }
    for (JsonNode e : c.path("env")) {
      if (e instanceof ObjectNode env && "".equals(env.path("value").asText(null))) {
        // the API server does not store an empty value; writing it would never converge
        env.remove("value");
      }
      JsonNode f = e.path("valueFrom").get("fieldRef");
      if (f instanceof ObjectNode fr) {
        fr.putIfAbsent("apiVersion", fr.textNode("v1"));
      }
      JsonNode r = e.path("valueFrom").get("resourceFieldRef");
      if (r instanceof ObjectNode rr) {
        rr.putIfAbsent("divisor", rr.textNode("1"));
      }
    }
  }
}
