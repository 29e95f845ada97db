package dev.isthmus.translate.render;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Pods} builds the pod and container pieces that the workload renderers (istiod, gateways,
 * ztunnel, CNI) have in common, so that a label, annotation, probe or volume that every Istio
 * workload carries is written once.
 */
final class Pods {
  /** Downward-API env vars by the names Istio gives them, and the pod field each one reads. */
  private static final Map<String, String> FIELD_ENV =
      Map.of(
          "POD_NAME", "metadata.name",
          "POD_NAMESPACE", "metadata.namespace",
          "NODE_NAME", "spec.nodeName",
          "ISTIO_META_NODE_NAME", "spec.nodeName",
          "REPAIR_NODE_NAME", "spec.nodeName",
          "INSTANCE_IP", "status.podIP",
          "HOST_IP", "status.hostIP",
          "SERVICE_ACCOUNT", "spec.serviceAccountName");

  private Pods() {}

  /**
   * The image {@code <hub>/<name>:<tag>[-<variant>]}, with the component's own {@code hub} and
   * {@code tag} when set and the global ones otherwise.
   */
  static String image(RenderContext ctx, Vals component, String name, String variant) {
    String hub = component.str("hub", "");
    String tag = component.str("tag", "");
    return K8s.image(
        hub.isEmpty() ? ctx.hub() : hub, name, tag.isEmpty() ? ctx.tag() : tag, variant);
  }

  /** Pod labels: the workload's labels, marked as outside the mesh (no sidecar, no ambient). */
  static Map<String, String> outOfMesh(Map<String, String> labels) {
    Map<String, String> podLabels = new LinkedHashMap<>(labels);
    podLabels.put("sidecar.istio.io/inject", "false");
    podLabels.put("istio.io/dataplane-mode", "none");
    return podLabels;
  }

  /**
   * Pod annotations: {@code first}, Prometheus scraping on {@code port} (at {@code path} unless it
   * is null), no sidecar, then the user's {@code extra}.
   */
  static Map<String, String> scraped(
      Map<String, String> first, String path, int port, Map<String, String> extra) {
    Map<String, String> annotations = new LinkedHashMap<>(first);
    if (path != null) {
      annotations.put("prometheus.io/path", path);
    }
    annotations.put("prometheus.io/port", String.valueOf(port));
    annotations.put("prometheus.io/scrape", "true");
    annotations.put("sidecar.istio.io/inject", "false");
    annotations.putAll(extra);
    return annotations;
  }

  /** Downward-API env vars, in the order given, by their Istio names (see {@link #FIELD_ENV}). */
  static List<EnvVar> fieldEnv(String... names) {
    List<EnvVar> env = new ArrayList<>();
    for (String name : names) {
      String field = FIELD_ENV.get(name);
      if (field == null) {
        throw new IllegalArgumentException("no pod field for env " + name);
      }
      env.add(K8s.fieldEnv(name, field));
    }
    return env;
  }

  /** An HTTP readiness probe that passes after one success. */
  static Probe readiness(
      String path,
      int port,
      Integer initialDelaySeconds,
      int periodSeconds,
      int timeoutSeconds,
      int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath(path)
        .withPort(new IntOrString(port))
        .withScheme("HTTP")
        .endHttpGet()
        .withInitialDelaySeconds(initialDelaySeconds)
        .withPeriodSeconds(periodSeconds)
        .withTimeoutSeconds(timeoutSeconds)
        .withSuccessThreshold(1)
        .withFailureThreshold(failureThreshold)
        .build();
  }

  /** A volume mount ({@code readOnly} is left out rather than written as false). */
  static VolumeMount mount(String name, String path, boolean readOnly) {
    return new VolumeMountBuilder()
        .withName(name)
        .withMountPath(path)
        .withReadOnly(readOnly ? Boolean.TRUE : null)
        .build();
  }

  /** An emptyDir volume. */
  static Volume emptyDir(String name) {
    return new VolumeBuilder().withName(name).withNewEmptyDir().endEmptyDir().build();
  }

  /** A volume of a ConfigMap (mode 0644); {@code optional} null leaves the field out. */
  static Volume configMap(String name, String configMap, Boolean optional) {
    return new VolumeBuilder()
        .withName(name)
        .withNewConfigMap()
        .withName(configMap)
        .withOptional(optional)
        .withDefaultMode(420)
        .endConfigMap()
        .build();
  }

  /** An optional Secret volume (mode 0644). */
  static Volume secret(String name, String secret) {
    return new VolumeBuilder()
        .withName(name)
        .withNewSecret()
        .withSecretName(secret)
        .withOptional(true)
        .withDefaultMode(420)
        .endSecret()
        .build();
  }

  /** A hostPath volume; a null {@code type} is written as the empty string. */
  static Volume hostPath(String name, String path, String type) {
    return new VolumeBuilder()
        .withName(name)
        .withNewHostPath()
        .withPath(path)
        .withType(type == null ? "" : type)
        .endHostPath()
        .build();
  }

  /** The map, or null when it is empty (so the field is left out). */
  static Map<String, String> emptyToNull(Map<String, String> m) {
    return m.isEmpty() ? null : m;
  }

  /**
   * A Deployment of {@code pod} that rolls out by the component's {@code rollingMaxSurge} and
   * {@code rollingMaxUnavailable}, runs {@code replicaCount} replicas unless a HPA scales it, and
   * runs at the global priority class when one is set.
   */
  static Deployment deployment(
      RenderContext ctx,
      ObjectMeta meta,
      Map<String, String> selector,
      Vals component,
      Map<String, String> podLabels,
      Map<String, String> annotations,
      PodSpec pod) {
    String priority = ctx.values().str("global.priorityClassName", "");
    return new DeploymentBuilder()
        .withMetadata(meta)
        .withNewSpec()
        .withReplicas(
            Workloads.autoscaled(component, "") ? null : component.integer("replicaCount", 1))
        .withNewSelector()
        .withMatchLabels(selector)
        .endSelector()
        .withNewStrategy()
        .withType("RollingUpdate")
        .withNewRollingUpdate()
        .withMaxSurge(new IntOrString(component.str("rollingMaxSurge", "100%")))
        .withMaxUnavailable(new IntOrString(component.str("rollingMaxUnavailable", "25%")))
        .endRollingUpdate()
        .endStrategy()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(podLabels)
        .withAnnotations(annotations)
        .endMetadata()
        .withSpec(
            new PodSpecBuilder(pod)
                .withPriorityClassName(priority.isEmpty() ? null : priority)
                .build())
        .endTemplate()
        .endSpec()
        .build();
  }
}
