package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.Map;

/** {@code GatewayComponentSpec} configures one ingress or egress gateway. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"enabled", "namespace", "name", "label", "hub", "tag", "k8s"})
public class GatewayComponentSpec {
  public Boolean enabled;
  public String namespace;
  public String name;
  public Map<String, String> label;
  public String hub;
  public IntOrString tag;

  @JsonProperty("k8s")
  public KubernetesResources k8s;
}
