package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import java.util.List;

/**
 * {@code KubernetesOverlay} patches one rendered object, selected by kind and name (apiVersion
 * optional). Besides Istio's path patches it accepts the standard RFC 6902 {@code jsonPatch} and
 * RFC 7386 {@code mergePatch}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"apiVersion", "kind", "name", "patches", "jsonPatch", "mergePatch"})
public class KubernetesOverlay {
  public String apiVersion;
  public String kind;
  public String name;
  public List<Patch> patches;

  @JsonPropertyDescription("Isthmus extension: an RFC 6902 JSON Patch applied to the object.")
  @PreserveUnknownFields
  public List<JsonNode> jsonPatch;

  @JsonPropertyDescription("Isthmus extension: an RFC 7386 JSON merge patch applied to the object.")
  @PreserveUnknownFields
  public JsonNode mergePatch;
}
