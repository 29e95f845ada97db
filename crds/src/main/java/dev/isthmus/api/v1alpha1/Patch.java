package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;

/**
 * {@code Patch} sets {@code value} at {@code path} (the tpath grammar); a missing or null value
 * deletes what the path names.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Patch {
  public String path;

  @PreserveUnknownFields public JsonNode value;
}
