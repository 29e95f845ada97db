package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code InjectionContext} holds what the injector derives from one pod and the injector config
 * beyond the templates: images, the effective ProxyConfig (mesh {@code defaultConfig} overlaid with
 * the {@code proxy.istio.io/config} annotation), the status port and hold setting the
 * post-processing needs, and workload identity ({@code .DeploymentMeta}, {@code .TypeMeta}).
 */
final class InjectionContext {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern RS_HASH = Pattern.compile("^(.+)-[a-z0-9]{5,10}$");

  final Pod pod;
  final String namespace;
  final InjectionConfig config;
  final String istioNamespace;
  final Map<String, String> annotations;
  final Map<String, String> labels;
  final ObjectNode proxyConfig;
  final Workload workload;
  final InjectorFeatures features;

  InjectionContext(Pod pod, String namespace, InjectionConfig config, String istioNamespace) {
    this(pod, namespace, config, istioNamespace, null, InjectorFeatures.NONE);
  }

  InjectionContext(
      Pod pod,
      String namespace,
      InjectionConfig config,
      String istioNamespace,
      Workload workload,
      InjectorFeatures features) {
    this.workload = workload;
    this.features = features;
    this.pod = pod;
    this.namespace = namespace;
    this.config = config;
    this.istioNamespace = config.text("global.istioNamespace", istioNamespace);
    var meta = pod.getMetadata();
    this.annotations = meta.getAnnotations() == null ? Map.of() : Map.copyOf(meta.getAnnotations());
    this.labels = meta.getLabels() == null ? Map.of() : Map.copyOf(meta.getLabels());
    this.proxyConfig = effectiveProxyConfig();
  }

  private ObjectNode effectiveProxyConfig() {
    ObjectNode pc = config.meshDefaultConfig().deepCopy();
    String override = annotations.get("proxy.istio.io/config");
    if (override != null && !override.isBlank()) {
      Object parsed;
      try {
        parsed = Serialization.unmarshal(override, Object.class);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "metadata.annotations[proxy.istio.io/config]: cannot parse: " + e.getMessage(), e);
      }
      JsonNode node = JSON.valueToTree(parsed);
      if (!node.isObject()) {
        throw new IllegalArgumentException(
            "metadata.annotations[proxy.istio.io/config]: expected a ProxyConfig object");
      }
      merge(pc, (ObjectNode) node);
    }
    if (!pc.has("discoveryAddress")) {
      pc.put("discoveryAddress", istiodHost() + ":15012");
    }
    return pc;
  }

  private static void merge(ObjectNode target, ObjectNode source) {
    for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
      var e = it.next();
      JsonNode existing = target.get(e.getKey());
      if (existing != null && existing.isObject() && e.getValue().isObject()) {
        merge((ObjectNode) existing, (ObjectNode) e.getValue());
      } else {
        target.set(e.getKey(), e.getValue().deepCopy());
      }
    }
  }

  /** Istio's {@code annotation} template function: the pod annotation, else the default. */
  String annotation(String key, String def) {
    String v = annotations.get(key);
    return v == null ? def : v;
  }

  String revision() {
    return config.revision();
  }

  String istiodHost() {
    String rev = config.text("revision", "");
    return "istiod"
        + (rev.isEmpty() || rev.equals("default") ? "" : "-" + rev)
        + "."
        + istioNamespace
        + ".svc";
  }

  /**
   * {@code <hub>/<image>:<tag>[-<variant>]}, or the image as given when it already names a
   * registry.
   */
  String image(String valuesKey, String annotationKey) {
    return config.image(valuesKey, annotations.get(annotationKey));
  }

  String proxyImage() {
    return image("global.proxy.image", "sidecar.istio.io/proxyImage");
  }

  String proxyInitImage() {
    return image("global.proxy_init.image", "sidecar.istio.io/proxyImage");
  }

  /**
   * Native sidecars: the pod's {@code sidecar.istio.io/nativeSidecar} annotation, else the
   * injector's feature switch, else {@code pilot.env.ENABLE_NATIVE_SIDECARS} in the values.
   */
  boolean nativeSidecars() {
    String a = annotations.get("sidecar.istio.io/nativeSidecar");
    if ("true".equals(a)) {
      return true;
    }
    if ("false".equals(a)) {
      return false;
    }
    return features.nativeSidecars()
        || "true".equalsIgnoreCase(config.text("pilot.env.ENABLE_NATIVE_SIDECARS", "false"));
  }

  boolean holdApplicationUntilProxyStarts() {
    JsonNode pc = proxyConfig.path("holdApplicationUntilProxyStarts");
    return (pc.isBoolean() && pc.asBoolean())
        || config.bool("global.proxy.holdApplicationUntilProxyStarts", false);
  }

  /** The mesh's proxy status port (Prometheus merge and probe rewrite target), 15020 by default. */
  String meshStatusPort() {
    return proxyConfig.path("statusPort").asText("15020");
  }

  /** Whether the proxy intercepts with TPROXY (pod annotation, else the ProxyConfig). */
  boolean tproxy() {
    return "TPROXY"
        .equals(
            annotation(
                "sidecar.istio.io/interceptionMode",
                proxyConfig.path("interceptionMode").asText("REDIRECT")));
  }

  String statusPort() {
    return annotation(
        "status.sidecar.istio.io/port", config.text("global.proxy.statusPort", "15020"));
  }

  /**
   * The owning workload's name, as Istio's {@code DeploymentMeta}: the Deployment behind a
   * ReplicaSet, etc.
   */
  String workloadName() {
    if (workload != null) {
      return workload.name();
    }
    var meta = pod.getMetadata();
    List<OwnerReference> owners = meta.getOwnerReferences();
    if (owners != null) {
      for (OwnerReference o : owners) {
        if (Boolean.TRUE.equals(o.getController())) {
          if (o.getKind().equals("ReplicaSet") && deploymentOf(o.getName()) != null) {
            return deploymentOf(o.getName());
          }
          return o.getName();
        }
      }
    }
    if (meta.getName() != null && !meta.getName().isEmpty()) {
      return meta.getName();
    }
    String gen = meta.getGenerateName();
    return gen == null ? "" : gen.endsWith("-") ? gen.substring(0, gen.length() - 1) : gen;
  }

  /**
   * The Deployment owning a ReplicaSet: the name without the {@code pod-template-hash} suffix when
   * the pod carries that label (as Istio derives it), else without a hash-like suffix; null when
   * the ReplicaSet does not look Deployment-owned.
   */
  private String deploymentOf(String replicaSet) {
    String hash = labels.get("pod-template-hash");
    if (hash != null && !hash.isEmpty()) {
      return replicaSet.endsWith("-" + hash)
          ? replicaSet.substring(0, replicaSet.length() - hash.length() - 1)
          : null;
    }
    var m = RS_HASH.matcher(replicaSet);
    return m.matches() ? m.group(1) : null;
  }

  /** The owning workload's API version, as Istio's {@code TypeMeta}. */
  String workloadApiVersion() {
    if (workload != null) {
      return workload.apiVersion();
    }
    var owners = pod.getMetadata().getOwnerReferences();
    String kind = workloadKind();
    if (kind.equals("Deployment")) {
      return "apps/v1";
    }
    if (owners != null) {
      for (OwnerReference o : owners) {
        if (Boolean.TRUE.equals(o.getController()) && o.getApiVersion() != null) {
          return o.getApiVersion();
        }
      }
    }
    return "v1";
  }

  String workloadKind() {
    if (workload != null) {
      return workload.kind();
    }
    var owners = pod.getMetadata().getOwnerReferences();
    if (owners != null) {
      for (OwnerReference o : owners) {
        if (Boolean.TRUE.equals(o.getController())) {
          return o.getKind().equals("ReplicaSet") && deploymentOf(o.getName()) != null
              ? "Deployment"
              : o.getKind();
        }
      }
    }
    return "Pod";
  }
}
