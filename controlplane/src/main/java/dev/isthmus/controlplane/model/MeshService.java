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
 * @param exportTo namespaces the service is visible in (Istio's {@code exportTo}: empty or {@code
 *     *} everywhere, {@code .} its own namespace, {@code ~} nowhere)
 * @param subjectAltNames identities the service declares verbatim: a ServiceEntry's {@code
 *     subjectAltNames}, a Service's {@code alpha.istio.io/canonical-serviceaccounts}
 * @param kubernetesServiceAccounts service accounts of the service's namespace a Service declares
 *     in {@code alpha.istio.io/kubernetes-serviceaccounts}
 */
public record MeshService(
    String hostname,
    String namespace,
    String name,
    String address,
    List<ServicePort> ports,
    Map<String, String> selector,
    Resolution resolution,
    Origin origin,
    List<String> exportTo,
    List<String> subjectAltNames,
    List<String> kubernetesServiceAccounts) {

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
    exportTo = exportTo == null ? List.of() : List.copyOf(exportTo);
    subjectAltNames = subjectAltNames == null ? List.of() : List.copyOf(subjectAltNames);
    kubernetesServiceAccounts =
        kubernetesServiceAccounts == null ? List.of() : List.copyOf(kubernetesServiceAccounts);
  }

  /**
   * Whether config of namespace {@code own} with this {@code exportTo} is visible in namespace
   * {@code to}, as Istio reads {@code exportTo}.
   */
  public static boolean exported(List<String> exportTo, String own, String to) {
    if (exportTo == null || exportTo.isEmpty()) {
      return true;
    }
    for (String e : exportTo) {
      if (e.equals("*") || e.equals(to) || (e.equals(".") && own.equals(to))) {
        return true;
      }
    }
    return false;
  }

  /** Whether this service is visible to proxies of namespace {@code ns}. */
  public boolean visibleIn(String ns) {
    return exported(exportTo, namespace, ns);
  }

  /** The port with this number, if the service declares it. */
  public Optional<ServicePort> port(int number) {
    return ports.stream().filter(p -> p.port() == number).findFirst();
  }
}
