package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code BaseComponentSpec} configures the Base component (CRDs and cluster-wide RBAC). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BaseComponentSpec {
  public Boolean enabled;

  @JsonProperty("k8s")
  public KubernetesResources k8s;
}
