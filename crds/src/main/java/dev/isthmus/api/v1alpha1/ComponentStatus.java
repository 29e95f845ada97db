package dev.isthmus.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** {@code ComponentStatus} is Istio's per-component {@code VersionStatus}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"version", "status", "error"})
public class ComponentStatus {
  public String version;
  public InstallStatus status;
  public String error;

  public ComponentStatus() {}

  public ComponentStatus(String version, InstallStatus status, String error) {
    this.version = version;
    this.status = status;
    this.error = error;
  }
}
