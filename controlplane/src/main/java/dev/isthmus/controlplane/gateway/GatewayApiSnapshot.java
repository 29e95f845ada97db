package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * {@code GatewayApiSnapshot} is everything the Gateway API conversion reads: the Kubernetes objects
 * (Gateway API kinds in any served version, plus {@code v1} Secrets, ConfigMaps, Namespaces and
 * Services, and {@code networking.istio.io} ServiceEntries) as Jackson trees, and the service
 * registry view of the mesh that Gateway addresses and backends are resolved against.
 *
 * @param domainSuffix the cluster domain suffix, e.g. {@code cluster.local}
 * @param objects the input objects; each has {@code apiVersion}, {@code kind} and {@code metadata}
 * @param services the registry services (Kubernetes services and service entries alike)
 */
public record GatewayApiSnapshot(
    String domainSuffix, List<JsonNode> objects, List<RegistryService> services) {

  /** Creates a snapshot; {@code null} lists are read as empty. */
  public GatewayApiSnapshot {
    objects = objects == null ? List.of() : List.copyOf(objects);
    services = services == null ? List.of() : List.copyOf(services);
  }

  /**
   * A snapshot from objects as informers hold them (typed or {@code GenericKubernetesResource});
   * each is read through the Kubernetes client's JSON mapping.
   */
  public static GatewayApiSnapshot fromResources(
      String domainSuffix,
      Collection<? extends HasMetadata> resources,
      List<RegistryService> services) {
    List<JsonNode> objects = new ArrayList<>();
    for (HasMetadata r : resources) {
      objects.add(Serialization.jsonMapper().valueToTree(r));
    }
    return new GatewayApiSnapshot(domainSuffix, objects, services);
  }

  /**
   * A service as the registry knows it.
   *
   * @param hostname the service hostname, e.g. {@code httpbin.default.svc.cluster.local}
   * @param namespace the namespace the service lives in
   * @param labels the service labels
   * @param type the Kubernetes service type ({@code ClusterIP}, {@code LoadBalancer}, ...)
   * @param ports the service ports
   * @param addresses the cluster addresses (VIPs) of the service
   * @param externalAddresses the load balancer addresses of the service
   */
  public record RegistryService(
      String hostname,
      String namespace,
      Map<String, String> labels,
      String type,
      List<Port> ports,
      List<String> addresses,
      List<String> externalAddresses) {

    /** Creates a service; {@code null} collections are read as empty. */
    public RegistryService {
      labels = labels == null ? Map.of() : Map.copyOf(labels);
      ports = ports == null ? List.of() : List.copyOf(ports);
      addresses = addresses == null ? List.of() : List.copyOf(addresses);
      externalAddresses = externalAddresses == null ? List.of() : List.copyOf(externalAddresses);
    }
  }

  /**
   * A service port and the target ports of the endpoints behind it.
   *
   * @param name the port name
   * @param port the service port number
   * @param protocol the port protocol
   * @param endpointPorts the target ports of the endpoints of this port; empty when it has none
   */
  public record Port(String name, int port, String protocol, List<Integer> endpointPorts) {

    /** Creates a port; a {@code null} endpoint list is read as empty. */
    public Port {
      endpointPorts = endpointPorts == null ? List.of() : List.copyOf(endpointPorts);
    }
  }
}
