package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** {@code IstioComponentSpec} holds the settings of each installable component. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "base",
  "pilot",
  "cni",
  "ztunnel",
  "istiodRemote",
  "ingressGateways",
  "egressGateways"
})
public class IstioComponentSpec {
  public BaseComponentSpec base;
  public ComponentSpec pilot;
  public ComponentSpec cni;
  public ComponentSpec ztunnel;
  public ComponentSpec istiodRemote;
  public List<GatewayComponentSpec> ingressGateways;
  public List<GatewayComponentSpec> egressGateways;
}
