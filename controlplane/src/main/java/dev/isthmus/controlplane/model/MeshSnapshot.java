package dev.isthmus.controlplane.model;

import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.Sidecar;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthentication;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code MeshSnapshot} is an immutable view of everything the xDS generators read: services,
 * endpoints, workloads and validated Istio configuration. A new snapshot is built for every push;
 * generators never see a half-applied change.
 *
 * @param services services by hostname
 * @param endpoints endpoints by hostname
 * @param workloads workloads by IP address
 * @param virtualServices valid VirtualServices
 * @param destinationRules valid DestinationRules
 * @param gateways Gateways
 * @param sidecars Sidecars
 * @param peerAuthentications PeerAuthentications
 * @param rejected configuration skipped as invalid: {@code Kind ns/name} to the reason
 * @param clusterDomain cluster DNS domain, e.g. {@code cluster.local}
 * @param rootNamespace Istio root namespace (mesh-wide policies live here)
 * @param policies AuthorizationPolicies and RequestAuthentications
 */
public record MeshSnapshot(
    Map<String, MeshService> services,
    Map<String, List<MeshEndpoint>> endpoints,
    Map<String, Workload> workloads,
    List<ConfigEntry<VirtualService>> virtualServices,
    List<ConfigEntry<DestinationRule>> destinationRules,
    List<ConfigEntry<Gateway>> gateways,
    List<ConfigEntry<Sidecar>> sidecars,
    List<ConfigEntry<PeerAuthentication>> peerAuthentications,
    Map<String, String> rejected,
    String clusterDomain,
    String rootNamespace,
    SecurityPolicies policies) {

  public MeshSnapshot {
    services = Map.copyOf(services);
    endpoints = Map.copyOf(endpoints);
    workloads = Map.copyOf(workloads);
    virtualServices = List.copyOf(virtualServices);
    destinationRules = List.copyOf(destinationRules);
    gateways = List.copyOf(gateways);
    sidecars = List.copyOf(sidecars);
    peerAuthentications = List.copyOf(peerAuthentications);
    rejected = Map.copyOf(rejected);
    policies = policies == null ? SecurityPolicies.NONE : policies;
  }

  /** An empty mesh. */
  public static MeshSnapshot empty(String clusterDomain, String rootNamespace) {
    return new MeshSnapshot(
        Map.of(),
        Map.of(),
        Map.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        Map.of(),
        clusterDomain,
        rootNamespace,
        SecurityPolicies.NONE);
  }

  /** The same snapshot with other security policies or settings. */
  public MeshSnapshot withPolicies(SecurityPolicies p) {
    return new MeshSnapshot(
        services,
        endpoints,
        workloads,
        virtualServices,
        destinationRules,
        gateways,
        sidecars,
        peerAuthentications,
        rejected,
        clusterDomain,
        rootNamespace,
        p);
  }

  /** Endpoints of a host, empty when unknown. */
  public List<MeshEndpoint> endpointsOf(String hostname) {
    return endpoints.getOrDefault(hostname, List.of());
  }

  /**
   * Resolves a host as written in Istio config ({@code reviews}, {@code reviews.ns}, or a FQDN)
   * relative to the namespace of the object that names it.
   */
  public String resolveHost(String host, String namespace) {
    if (host == null || host.isEmpty() || host.contains("*")) {
      return host;
    }
    if (services.containsKey(host)) {
      return host;
    }
    String[] parts = host.split("\\.");
    if (parts.length == 1) {
      return host + "." + namespace + ".svc." + clusterDomain;
    }
    if (parts.length == 2) {
      return host + ".svc." + clusterDomain;
    }
    return host;
  }

  /** The service for a host, if known. */
  public Optional<MeshService> service(String hostname) {
    return Optional.ofNullable(services.get(hostname));
  }
}
