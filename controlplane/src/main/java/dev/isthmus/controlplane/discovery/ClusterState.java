package dev.isthmus.controlplane.discovery;

import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;

/**
 * {@code ClusterState} is the raw Kubernetes and Istio objects discovery has seen, as lists. It is
 * the input of {@link MeshModelBuilder}; tests build it by hand.
 *
 * @param services Kubernetes Services
 * @param endpointSlices EndpointSlices
 * @param pods Pods
 * @param nodes Nodes (for locality labels)
 * @param serviceEntries ServiceEntries
 * @param workloadEntries WorkloadEntries
 * @param virtualServices VirtualServices
 * @param destinationRules DestinationRules
 * @param gateways Gateways
 * @param sidecars Sidecars
 * @param peerAuthentications PeerAuthentications
 * @param authorizationPolicies AuthorizationPolicies
 * @param requestAuthentications RequestAuthentications
 */
public record ClusterState(
    List<Service> services,
    List<EndpointSlice> endpointSlices,
    List<Pod> pods,
    List<Node> nodes,
    List<ServiceEntry> serviceEntries,
    List<WorkloadEntry> workloadEntries,
    List<VirtualService> virtualServices,
    List<DestinationRule> destinationRules,
    List<Gateway> gateways,
    List<Sidecar> sidecars,
    List<PeerAuthentication> peerAuthentications,
    List<AuthorizationPolicy> authorizationPolicies,
    List<RequestAuthentication> requestAuthentications) {

  /** A state with nothing in it. */
  public static ClusterState empty() {
    return new ClusterState(
        List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of(), List.of(), List.of(), List.of(), List.of());
  }

  /** Copy with other services and endpoint slices. */
  public ClusterState withKubernetes(List<Service> svcs, List<EndpointSlice> slices) {
    return with(
        c -> {
          c.services = svcs;
          c.endpointSlices = slices;
        });
  }

  /** Copy with other services. */
  public ClusterState withServices(List<Service> v) {
    return with(c -> c.services = v);
  }

  /** Copy with other pods. */
  public ClusterState withPods(List<Pod> v) {
    return with(c -> c.pods = v);
  }

  /** Copy with other ServiceEntries. */
  public ClusterState withServiceEntries(List<ServiceEntry> v) {
    return with(c -> c.serviceEntries = v);
  }

  /** Copy with other WorkloadEntries. */
  public ClusterState withWorkloadEntries(List<WorkloadEntry> v) {
    return with(c -> c.workloadEntries = v);
  }

  /** Copy with other virtualServices. */
  public ClusterState withVirtualServices(List<VirtualService> v) {
    return with(c -> c.virtualServices = v);
  }

  /** Copy with other destinationRules. */
  public ClusterState withDestinationRules(List<DestinationRule> v) {
    return with(c -> c.destinationRules = v);
  }

  /** Copy with other gateways. */
  public ClusterState withGateways(List<Gateway> v) {
    return with(c -> c.gateways = v);
  }

  /** Copy with other sidecars. */
  public ClusterState withSidecars(List<Sidecar> v) {
    return with(c -> c.sidecars = v);
  }

  /** Copy with other AuthorizationPolicies. */
  public ClusterState withAuthorizationPolicies(List<AuthorizationPolicy> v) {
    return with(c -> c.authorizationPolicies = v);
  }

  /** Copy with other RequestAuthentications. */
  public ClusterState withRequestAuthentications(List<RequestAuthentication> v) {
    return with(c -> c.requestAuthentications = v);
  }

  /** Copy with other peerAuthentications. */
  public ClusterState withPeerAuthentications(List<PeerAuthentication> v) {
    return with(c -> c.peerAuthentications = v);
  }

  /** A copy with some fields changed. */
  private ClusterState with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /** The fields of a copy being made. */
  private static final class Copy {
    List<Service> services;
    List<EndpointSlice> endpointSlices;
    List<Pod> pods;
    List<Node> nodes;
    List<ServiceEntry> serviceEntries;
    List<WorkloadEntry> workloadEntries;
    List<VirtualService> virtualServices;
    List<DestinationRule> destinationRules;
    List<Gateway> gateways;
    List<Sidecar> sidecars;
    List<PeerAuthentication> peerAuthentications;
    List<AuthorizationPolicy> authorizationPolicies;
    List<RequestAuthentication> requestAuthentications;

    Copy(ClusterState from) {
      this.services = from.services;
      this.endpointSlices = from.endpointSlices;
      this.pods = from.pods;
      this.nodes = from.nodes;
      this.serviceEntries = from.serviceEntries;
      this.workloadEntries = from.workloadEntries;
      this.virtualServices = from.virtualServices;
      this.destinationRules = from.destinationRules;
      this.gateways = from.gateways;
      this.sidecars = from.sidecars;
      this.peerAuthentications = from.peerAuthentications;
      this.authorizationPolicies = from.authorizationPolicies;
      this.requestAuthentications = from.requestAuthentications;
    }

    ClusterState build() {
      return new ClusterState(
          services,
          endpointSlices,
          pods,
          nodes,
          serviceEntries,
          workloadEntries,
          virtualServices,
          destinationRules,
          gateways,
          sidecars,
          peerAuthentications,
          authorizationPolicies,
          requestAuthentications);
    }
  }
}
