package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerSpec;
import java.util.List;
import java.util.Map;

/**
 * {@code KubernetesResources} is Istio's {@code k8s} block: Kubernetes settings applied to a
 * component's rendered objects, and free-form overlays.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "affinity",
  "env",
  "hpaSpec",
  "imagePullPolicy",
  "nodeSelector",
  "podDisruptionBudget",
  "podAnnotations",
  "priorityClassName",
  "readinessProbe",
  "replicaCount",
  "resources",
  "service",
  "strategy",
  "tolerations",
  "serviceAnnotations",
  "securityContext",
  "volumes",
  "volumeMounts",
  "overlays"
})
public class KubernetesResources {
  public Affinity affinity;
  public List<EnvVar> env;
  public HorizontalPodAutoscalerSpec hpaSpec;
  public String imagePullPolicy;
  public Map<String, String> nodeSelector;
  public PodDisruptionBudgetSpec podDisruptionBudget;
  public Map<String, String> podAnnotations;
  public String priorityClassName;
  public Probe readinessProbe;
  public Integer replicaCount;
  public ResourceRequirements resources;
  public ServiceSpec service;
  public DeploymentStrategy strategy;
  public List<Toleration> tolerations;
  public Map<String, String> serviceAnnotations;
  public PodSecurityContext securityContext;
  public List<Volume> volumes;
  public List<VolumeMount> volumeMounts;
  public List<KubernetesOverlay> overlays;
}
