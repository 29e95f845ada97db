package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * {@code IstioOperatorSpec} mirrors Istio's {@code IstioOperatorSpec}: every field an Istio user
 * may set. Values and mesh configuration stay untyped Jackson trees; they are validated against the
 * supported knobs by the translate module, not by the API server.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "profile",
  "installPackagePath",
  "hub",
  "tag",
  "revision",
  "namespace",
  "compatibilityVersion",
  "meshConfig",
  "components",
  "values",
  "unvalidatedValues"
})
public class IstioOperatorSpec {
  @JsonPropertyDescription(
      "Base profile: a built-in name (default, demo, minimal, ...) or a file path.")
  public String profile;

  @JsonPropertyDescription(
      "Path to the installation package (charts/profiles); deprecated in Istio, ignored here.")
  public String installPackagePath;

  @JsonPropertyDescription("Root for docker image paths, e.g. docker.io/istio.")
  public String hub;

  @JsonPropertyDescription("Version tag for docker images, e.g. 1.24.0 (string or number).")
  public IntOrString tag;

  @JsonPropertyDescription("Revision of the control plane (a DNS-1123 label).")
  public String revision;

  @JsonPropertyDescription("Namespace the control plane components are installed into.")
  public String namespace;

  @JsonPropertyDescription("Istio version whose behaviour is emulated, e.g. 1.23.")
  public String compatibilityVersion;

  @JsonPropertyDescription("Mesh configuration (istio.mesh.v1alpha1.MeshConfig).")
  @PreserveUnknownFields
  public ObjectNode meshConfig;

  @JsonPropertyDescription("Per-component settings.")
  public IstioComponentSpec components;

  @JsonPropertyDescription("Helm-style values; validated against the supported knobs.")
  @PreserveUnknownFields
  public ObjectNode values;

  @JsonPropertyDescription("Values passed through without validation.")
  @PreserveUnknownFields
  public ObjectNode unvalidatedValues;
}
