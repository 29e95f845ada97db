package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

/**
 * {@code IstioOperatorStatus} carries Istio's legacy install status (read by Argo CD's health
 * check) and the Kubernetes conventions ({@code observedGeneration}, {@code conditions} Ready and
 * Reconciled).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"status", "message", "componentStatus", "observedGeneration", "conditions"})
public class IstioOperatorStatus {
  public static final String CONDITION_READY = "Ready";
  public static final String CONDITION_RECONCILED = "Reconciled";

  public InstallStatus status;
  public String message;
  public Map<String, ComponentStatus> componentStatus;
  public Long observedGeneration;
  public List<Condition> conditions;
}
