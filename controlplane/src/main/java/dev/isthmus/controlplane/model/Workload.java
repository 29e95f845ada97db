package dev.isthmus.controlplane.model;

import java.util.Map;

/**
 * {@code Workload} is a pod (or WorkloadEntry) as seen by the control plane, used to find the
 * inbound ports and policies of the proxy running next to it.
 *
 * @param namespace namespace
 * @param name pod or WorkloadEntry name
 * @param address IP address
 * @param labels labels
 * @param serviceAccount service account, or empty
 */
public record Workload(
    String namespace,
    String name,
    String address,
    Map<String, String> labels,
    String serviceAccount) {
  public Workload {
    labels = Map.copyOf(labels);
  }
}
