package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;

/**
 * {@code PodDisruptionBudgetSpec} is the subset of a PDB spec a component may set (Istio's {@code
 * k8s.podDisruptionBudget} takes a policy/v1 PDB spec).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodDisruptionBudgetSpec {
  public IntOrString minAvailable;
  public LabelSelector selector;
  public IntOrString maxUnavailable;
  public String unhealthyPodEvictionPolicy;
}
