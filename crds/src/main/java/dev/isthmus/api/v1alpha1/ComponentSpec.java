package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * {@code ComponentSpec} configures a control plane component (pilot, cni, ztunnel, istiodRemote).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"enabled", "namespace", "hub", "tag", "k8s"})
public class ComponentSpec {
  public Boolean enabled;
  public String namespace;
  public String hub;
  public IntOrString tag;

  @JsonProperty("k8s")
  public KubernetesResources k8s;
}
