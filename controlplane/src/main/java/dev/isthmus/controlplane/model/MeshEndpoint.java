package dev.isthmus.controlplane.model;

import java.util.Map;

/**
 * {@code MeshEndpoint} is one workload address serving one port of a service.
 *
 * @param hostname service host this endpoint belongs to
 * @param servicePort service port number the endpoint serves
 * @param address IP address (or DNS name for DNS-resolved ServiceEntries)
 * @param port port on the workload
 * @param labels workload labels, used for DestinationRule subsets
 * @param locality {@code region/zone/subzone}, possibly empty parts
 * @param weight load-balancing weight, at least 1
 * @param health health derived from EndpointSlice conditions
 * @param serviceAccount workload service account, or empty
 */
public record MeshEndpoint(
    String hostname,
    int servicePort,
    String address,
    int port,
    Map<String, String> labels,
    String locality,
    int weight,
    Health health,
    String serviceAccount) {

  /** Endpoint health as Envoy understands it. */
  public enum Health {
    HEALTHY,
    /** Terminating but still serving: kept with DRAINING status so new requests avoid it. */
    DRAINING,
    UNHEALTHY
  }

  public MeshEndpoint {
    labels = Map.copyOf(labels);
    weight = Math.max(1, weight);
  }
}
