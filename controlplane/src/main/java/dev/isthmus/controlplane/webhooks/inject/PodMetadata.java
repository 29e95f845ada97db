package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code PodMetadata} sets the labels and annotations the stock templates add: {@code
 * security.istio.io/tlsMode}, canonical name/revision, {@code istio.io/rev}, default container,
 * Prometheus merge annotations, the CNI traffic annotations, and {@code sidecar.istio.io/status}
 * listing what was injected.
 */
final class PodMetadata {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PodMetadata() {}

  static void apply(
      InjectionContext ctx, Pod pod, List<String> templates, Map<String, List<String>> status) {
    boolean sidecar = templates.contains("sidecar");
    var meta = pod.getMetadata();
    Map<String, String> labels =
        new LinkedHashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels());
    Map<String, String> annotations =
        new LinkedHashMap<>(meta.getAnnotations() == null ? Map.of() : meta.getAnnotations());
    if (sidecar) {
      labels.putIfAbsent("security.istio.io/tlsMode", "istio");
    }
    String canonicalName =
        firstNonEmpty(
            labels.get("service.istio.io/canonical-name"),
            labels.get("app.kubernetes.io/name"),
            labels.get("app"),
            ctx.workloadName());
    if (canonicalName.length() > 63) {
      canonicalName = canonicalName.substring(0, 63);
    }
    while (canonicalName.endsWith("-")) {
      canonicalName = canonicalName.substring(0, canonicalName.length() - 1);
    }
    labels.put("service.istio.io/canonical-name", canonicalName);
    labels.put(
        "service.istio.io/canonical-revision",
        firstNonEmpty(
            labels.get("service.istio.io/canonical-revision"),
            labels.get("app.kubernetes.io/version"),
            labels.get("version"),
            "latest"));

    annotations.put("istio.io/rev", ctx.revision());
    List<String> apps = ctx.appContainers();
    if (!apps.isEmpty()) {
      annotations.putIfAbsent("kubectl.kubernetes.io/default-logs-container", apps.get(0));
      annotations.putIfAbsent("kubectl.kubernetes.io/default-container", apps.get(0));
    }
    if (sidecar) {
      if (ctx.config.value("meshConfig.enablePrometheusMerge").asBoolean(true)
          && !annotations.containsKey("prometheus.io/scrape")) {
        annotations.put("prometheus.io/port", "15020");
        annotations.put("prometheus.io/path", "/stats/prometheus");
        annotations.put("prometheus.io/scrape", "true");
      }
      if (SidecarTemplate.cni(ctx)) {
        cniAnnotations(ctx, annotations);
      }
    } else if (templates.contains("grpc-agent")) {
      annotations.put("sidecar.istio.io/rewriteAppHTTPProbers", "false");
    }
    SidecarInjector.imagePullSecrets(ctx, pod);
    ObjectNode s = JSON.createObjectNode();
    s.set(
        "initContainers",
        status.get("initContainers").isEmpty()
            ? null
            : JSON.valueToTree(status.get("initContainers")));
    s.set("containers", JSON.valueToTree(status.get("containers")));
    s.set("volumes", JSON.valueToTree(status.get("volumes")));
    var secrets = pod.getSpec().getImagePullSecrets();
    s.set(
        "imagePullSecrets",
        secrets == null || secrets.isEmpty()
            ? null
            : JSON.valueToTree(secrets.stream().map(r -> r.getName()).toList()));
    s.put("revision", ctx.revision());
    annotations.put(InjectionPolicy.STATUS, s.toString());
    meta.setLabels(labels);
    meta.setAnnotations(annotations);
  }

  private static void cniAnnotations(InjectionContext ctx, Map<String, String> a) {
    var v = ctx.config;
    a.put("sidecar.istio.io/interceptionMode", ctx.interceptionMode());
    String include =
        ctx.annotation(
            "traffic.sidecar.istio.io/includeOutboundIPRanges",
            v.text("global.proxy.includeIPRanges", ""));
    if (!include.isEmpty()) {
      a.put("traffic.sidecar.istio.io/includeOutboundIPRanges", include);
    }
    String exclude =
        ctx.annotation(
            "traffic.sidecar.istio.io/excludeOutboundIPRanges",
            v.text("global.proxy.excludeIPRanges", ""));
    if (!exclude.isEmpty()) {
      a.put("traffic.sidecar.istio.io/excludeOutboundIPRanges", exclude);
    }
    a.put(
        "traffic.sidecar.istio.io/includeInboundPorts",
        ctx.annotation(
            "traffic.sidecar.istio.io/includeInboundPorts",
            v.text("global.proxy.includeInboundPorts", "*")));
    a.put("traffic.sidecar.istio.io/excludeInboundPorts", SidecarTemplate.excludeInboundPorts(ctx));
    String includeOut =
        ctx.annotation(
            "traffic.sidecar.istio.io/includeOutboundPorts",
            v.text("global.proxy.includeOutboundPorts", ""));
    if (!includeOut.isEmpty()) {
      a.put("traffic.sidecar.istio.io/includeOutboundPorts", includeOut);
    }
    String excludeOut =
        ctx.annotation(
            "traffic.sidecar.istio.io/excludeOutboundPorts",
            v.text("global.proxy.excludeOutboundPorts", ""));
    if (!excludeOut.isEmpty()) {
      a.put("traffic.sidecar.istio.io/excludeOutboundPorts", excludeOut);
    }
  }

  private static String firstNonEmpty(String... values) {
    for (String v : values) {
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return "";
  }
}
