package dev.isthmus.controlplane.webhooks.inject;

import dev.isthmus.gotmpl.GoStruct;
import dev.isthmus.gotmpl.GoValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code MeshFuncs} are the template functions that read mesh and proxy configuration: {@code
 * protoToJSON} of a ProxyConfig leaves out every field still at Istio's built-in default (so {@code
 * PROXY_CONFIG} carries only what the mesh or the pod changed, as the agent merges it over the same
 * defaults), and {@code otelResourceAttributes} computes OpenTelemetry's Kubernetes service
 * attributes when a tracing provider asks for semantic-convention enrichment.
 */
final class MeshFuncs {
  /** Istio's default ProxyConfig, field by field, in its JSON form. */
  private static final Map<String, Object> DEFAULTS =
      Map.ofEntries(
          Map.entry("configPath", "./etc/istio/proxy"),
          Map.entry("binaryPath", "/usr/local/bin/envoy"),
          Map.entry("serviceCluster", "istio-proxy"),
          Map.entry("drainDuration", "45s"),
          Map.entry("terminationDrainDuration", "5s"),
          Map.entry("discoveryAddress", "istiod.istio-system.svc:15012"),
          Map.entry("controlPlaneAuthPolicy", "MUTUAL_TLS"),
          Map.entry("proxyAdminPort", 15000L),
          Map.entry("statNameLength", 189L),
          Map.entry("statusPort", 15020L),
          Map.entry("concurrency", 2L),
          Map.entry("tracing", Map.of("zipkin", Map.of("address", "zipkin.istio-system:9411"))));

  private MeshFuncs() {}

  /** The ProxyConfig without fields equal to the defaults, nulls and empty maps. */
  static Object cleanProxyConfig(Object proxyConfig) {
    Object plain = IstioFuncs.omitNil(proxyConfig);
    if (!(plain instanceof Map<?, ?> m)) {
      return plain;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach(
        (k, v) -> {
          String key = String.valueOf(k);
          Object def = DEFAULTS.get(key);
          if (def != null && same(def, v)) {
            return;
          }
          if ((key.equals("proxyMetadata")
                  || key.equals("envoyMetricsService")
                  || key.equals("envoyAccessLogService"))
              && v instanceof Map<?, ?> mv
              && mv.isEmpty()) {
            return;
          }
          out.put(key, v);
        });
    return out;
  }

  private static boolean same(Object def, Object v) {
    if (def instanceof Long l) {
      try {
        return l == GoValues.toLong(v);
      } catch (RuntimeException e) {
        return false;
      }
    }
    if (def instanceof Map<?, ?> dm) {
      if (!(v instanceof Map<?, ?> vm) || vm.size() != dm.size()) {
        return false;
      }
      for (var e : dm.entrySet()) {
        if (!same(e.getValue(), vm.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return def.equals(GoValues.print(v));
  }

  /**
   * {@code otelResourceAttributes mesh annotations labels namespace containers}: {@code
   * service.namespace}, {@code service.version} and {@code service.instance.id} per OpenTelemetry's
   * Kubernetes conventions, each overridable by a {@code resource.opentelemetry.io/...} annotation;
   * empty unless an OpenTelemetry provider enables {@code OTEL_SEMANTIC_CONVENTIONS}.
   */
  static String otelResourceAttributes(List<Object> a) {
    Object mesh = a.get(0) instanceof GoStruct s ? s.plain() : a.get(0);
    boolean enabled = false;
    if (mesh instanceof Map<?, ?> mm) {
      for (Object p : GoValues.toList(mm.get("extensionProviders"))) {
        if (p instanceof Map<?, ?> pm
            && pm.get("opentelemetry") instanceof Map<?, ?> otel
            && "OTEL_SEMANTIC_CONVENTIONS".equals(otel.get("serviceAttributeEnrichment"))) {
          enabled = true;
        }
      }
    }
    if (!enabled) {
      return "";
    }
    Map<String, String> annotations = strings(a.get(1));
    Map<String, String> labels = strings(a.get(2));
    String namespace = GoValues.print(a.get(3));
    List<?> containers = GoValues.toList(a.get(4));
    List<String> attrs = new ArrayList<>();
    String v = annotations.get("resource.opentelemetry.io/service.namespace");
    if (v != null && !v.isEmpty()) {
      attrs.add("service.namespace=" + v);
    } else if (!namespace.isEmpty()) {
      attrs.add("service.namespace=" + namespace);
    }
    v = annotations.get("resource.opentelemetry.io/service.version");
    String version = labels.get("app.kubernetes.io/version");
    if (v != null && !v.isEmpty()) {
      attrs.add("service.version=" + v);
    } else if (version != null && !version.isEmpty()) {
      attrs.add("service.version=" + version);
    } else if (containers.size() == 1 && containers.get(0) instanceof GoStruct c) {
      String tagDigest = tagDigest(GoValues.print(c.field("Image")));
      if (!tagDigest.isEmpty()) {
        attrs.add("service.version=" + tagDigest);
      }
    }
    v = annotations.get("resource.opentelemetry.io/service.instance.id");
    if (v != null && !v.isEmpty()) {
      attrs.add("service.instance.id=" + v);
    } else if (!containers.isEmpty() && containers.get(0) instanceof GoStruct c) {
      attrs.add(
          "service.instance.id=" + namespace + ".$(POD_NAME)." + GoValues.print(c.field("Name")));
    }
    return String.join(",", attrs);
  }

  /** {@code tag}, {@code digest} or {@code tag@digest} of an image reference; empty if neither. */
  private static String tagDigest(String image) {
    String digest = "";
    int at = image.indexOf('@');
    if (at >= 0) {
      digest = image.substring(at + 1);
      image = image.substring(0, at);
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    String tag = colon > slash ? image.substring(colon + 1) : "";
    if (!tag.isEmpty() && !digest.isEmpty()) {
      return tag + "@" + digest;
    }
    return digest.isEmpty() ? tag : digest;
  }

  private static Map<String, String> strings(Object m) {
    Map<String, String> out = new LinkedHashMap<>();
    Object plain = m instanceof GoStruct s ? s.plain() : m;
    if (plain instanceof Map<?, ?> mm) {
      mm.forEach((k, v) -> out.put(String.valueOf(k), GoValues.print(v)));
    }
    return out;
  }
}
