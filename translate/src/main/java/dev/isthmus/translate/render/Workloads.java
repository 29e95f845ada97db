package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpecBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code Workloads} builds the HPA, PDB and common volumes shared by Deployments. */
public final class Workloads {
  private Workloads() {}

  /** Whether a HPA is rendered for a workload with these values (autoscale on, min &lt; max). */
  public static boolean autoscaled(Vals v, String prefix) {
    return v.bool(prefix + "autoscaleEnabled", true)
        && v.integer(prefix + "autoscaleMin", 1) > 0
        && v.integer(prefix + "autoscaleMax", 5) > 0;
  }

  /** Whether a PDB is rendered: only when more than one replica is guaranteed. */
  public static boolean pdb(Vals v, String prefix) {
    if (!v.bool("global.defaultPodDisruptionBudget.enabled", true)) {
      return false;
    }
    if (autoscaled(v, prefix)) {
      return v.integer(prefix + "autoscaleMin", 1) > 1;
    }
    return v.integer(prefix + "replicaCount", 1) > 1;
  }

  /** A HorizontalPodAutoscaler for a Deployment. */
  public static HorizontalPodAutoscaler hpa(
      String name, String ns, Map<String, String> labels, Vals v, String prefix) {
    List<MetricSpec> metrics = new ArrayList<>();
    int cpu = v.integer(prefix + "cpu.targetAverageUtilization", 80);
    if (cpu > 0) {
      metrics.add(resourceMetric("cpu", cpu));
    }
    int mem = v.integer(prefix + "memory.targetAverageUtilization", 0);
    if (mem > 0) {
      metrics.add(resourceMetric("memory", mem));
    }
    var b =
        new HorizontalPodAutoscalerBuilder()
            .withMetadata(K8s.meta(name, ns, labels))
            .withNewSpec()
            .withMinReplicas(v.integer(prefix + "autoscaleMin", 1))
            .withMaxReplicas(v.integer(prefix + "autoscaleMax", 5))
            .withMetrics(metrics)
            .withNewScaleTargetRef()
            .withApiVersion("apps/v1")
            .withKind("Deployment")
            .withName(name)
            .endScaleTargetRef()
            .endSpec();
    JsonNode behavior = v.node(prefix + "autoscaleBehavior");
    if (behavior != null && behavior.isObject() && !behavior.isEmpty()) {
      b.editSpec()
          .withBehavior(
              K8s.typed(
                  behavior,
                  io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior
                      .class))
          .endSpec();
    }
    return b.build();
  }

  private static MetricSpec resourceMetric(String name, int utilization) {
    return new MetricSpecBuilder()
        .withType("Resource")
        .withNewResource()
        .withName(name)
        .withNewTarget()
        .withType("Utilization")
        .withAverageUtilization(utilization)
        .endTarget()
        .endResource()
        .build();
  }

  /** A PodDisruptionBudget selecting {@code selector}. */
  public static PodDisruptionBudget pdb(
      String name, String ns, Map<String, String> labels, Map<String, String> selector, Vals v) {
    var spec =
        new PodDisruptionBudgetBuilder()
            .withMetadata(K8s.meta(name, ns, labels))
            .withNewSpec()
            .withSelector(new LabelSelectorBuilder().withMatchLabels(selector).build());
    JsonNode max = v.node("pdb.maxUnavailable");
    if (max != null) {
      spec.withMaxUnavailable(intOrString(max));
    } else {
      spec.withMinAvailable(intOrString(v.node("pdb.minAvailable")));
    }
    String policy = v.str("pdb.unhealthyPodEvictionPolicy", "");
    if (!policy.isEmpty()) {
      spec.withUnhealthyPodEvictionPolicy(policy);
    }
    return spec.endSpec().build();
  }

  private static IntOrString intOrString(JsonNode n) {
    if (n == null) {
      return new IntOrString(1);
    }
    return n.isNumber() ? new IntOrString(n.intValue()) : new IntOrString(n.asText());
  }

  /** The projected service account token proxies and istiod present to the CA. */
  public static Volume istioToken(String audience) {
    return new VolumeBuilder()
        .withName("istio-token")
        .withNewProjected()
        .withDefaultMode(420)
        .addNewSource()
        .withNewServiceAccountToken()
        .withAudience(audience)
        .withExpirationSeconds(43200L)
        .withPath("istio-token")
        .endServiceAccountToken()
        .endSource()
        .endProjected()
        .build();
  }

  /** Tolerations from a values list (null when empty). */
  public static List<Toleration> tolerations(JsonNode n) {
    if (n == null || !n.isArray() || n.isEmpty()) {
      return null;
    }
    List<Toleration> out = new ArrayList<>();
    n.forEach(t -> out.add(K8s.typed(t, Toleration.class)));
    return out;
  }

  /**
   * A node agent (CNI, ztunnel): a DaemonSet of one pod per Linux node at {@code
   * system-node-critical} priority.
   *
   * @param rolling the rolling-update bounds: {@code [maxSurge or null, maxUnavailable]}
   */
  static DaemonSet nodeAgent(
      ObjectMeta meta,
      Map<String, String> selector,
      IntOrString[] rolling,
      Map<String, String> podLabels,
      Map<String, String> annotations,
      String serviceAccount,
      long gracePeriodSeconds,
      JsonNode tolerations,
      Container container,
      Volume... volumes) {
    return new DaemonSetBuilder()
        .withMetadata(meta)
        .withNewSpec()
        .withNewSelector()
        .withMatchLabels(selector)
        .endSelector()
        .withNewUpdateStrategy()
        .withType("RollingUpdate")
        .withNewRollingUpdate()
        .withMaxSurge(rolling[0])
        .withMaxUnavailable(rolling[1])
        .endRollingUpdate()
        .endUpdateStrategy()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(podLabels)
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(K8s.labels("kubernetes.io/os", "linux"))
        .withPriorityClassName("system-node-critical")
        .withServiceAccountName(serviceAccount)
        .withTerminationGracePeriodSeconds(gracePeriodSeconds)
        .withTolerations(tolerations(tolerations))
        .withContainers(container)
        .withVolumes(volumes)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }
}
