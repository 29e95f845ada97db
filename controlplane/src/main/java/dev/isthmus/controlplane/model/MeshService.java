package dev.isthmus.controlplane.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code MeshService} is a service known to the mesh, from a Kubernetes Service or an Istio
 * ServiceEntry host.
 *
 * @param hostname fully qualified host ({@code reviews.bookinfo.svc.cluster.local})
 * @param namespace namespace of the defining object
 * @param name name of the defining object
 * @param address virtual IP, or empty for headless services and ServiceEntries without address
 * @param ports service ports, by ascending number
 * @param selector workload selector labels (empty when endpoints are listed explicitly)
 * @param resolution how endpoints are resolved
 * @param origin what defined the service
 */
public record MeshService(
    String hostname,
    String namespace,
    String name,
    String address,
    List<ServicePort> ports,
    Map<String, String> selector,
    Resolution resolution,
    Origin origin) {

  /** Endpoint resolution, mirroring {@code ServiceEntry.resolution}. */
  public enum Resolution {
    STATIC,
    DNS,
    NONE
  }

  /** Source of the service definition. */
  public enum Origin {
    KUBERNETES,
    SERVICE_ENTRY
  }

  public MeshService {
    ports = List.copyOf(ports);
    selector = Map.copyOf(selector);
  }

  /** The port with this number, if the service declares it. */
  public Optional<ServicePort> port(int number) {
    return ports.stream().filter(p -> p.port() == number).findFirst();
  }
}
