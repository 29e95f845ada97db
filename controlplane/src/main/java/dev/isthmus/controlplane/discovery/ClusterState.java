package dev.isthmus.controlplane.discovery;

import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
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
    List<PeerAuthentication> peerAuthentications) {

  /** A state with nothing in it. */
  public static ClusterState empty() {
    return new ClusterState(
        List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of(), List.of(), List.of());
  }

  /** Copy with other services and endpoint slices. */
  public ClusterState withKubernetes(List<Service> svcs, List<EndpointSlice> slices) {
    return new ClusterState(
        svcs,
        slices,
        pods,
        nodes,
        serviceEntries,
        workloadEntries,
        virtualServices,
        destinationRules,
        gateways,
        sidecars,
        peerAuthentications);
  }

  /** Copy with other services. */
  public ClusterState withServices(List<Service> v) {
    return new ClusterState(
        v,
        endpointSlices,
        pods,
        nodes,
        serviceEntries,
        workloadEntries,
        virtualServices,
        destinationRules,
        gateways,
        sidecars,
        peerAuthentications);
  }

  /** Copy with other pods. */
  public ClusterState withPods(List<Pod> v) {
    return new ClusterState(
        services,
        endpointSlices,
        v,
        nodes,
        serviceEntries,
        workloadEntries,
        virtualServices,
        destinationRules,
        gateways,
        sidecars,
        peerAuthentications);
  }

  /** Copy with other virtualServices. */
  public ClusterState withVirtualServices(List<VirtualService> v) {
    return new ClusterState(
        services,
        endpointSlices,
        pods,
        nodes,
        serviceEntries,
        workloadEntries,
        v,
        destinationRules,
        gateways,
        sidecars,
        peerAuthentications);
  }

  /** Copy with other destinationRules. */
  public ClusterState withDestinationRules(List<DestinationRule> v) {
    return new ClusterState(
        services,
        endpointSlices,
        pods,
        nodes,
        serviceEntries,
        workloadEntries,
        virtualServices,
        v,
        gateways,
        sidecars,
        peerAuthentications);
  }

  /** Copy with other gateways. */
  public ClusterState withGateways(List<Gateway> v) {
    return new ClusterState(
        services,
        endpointSlices,
        pods,
        nodes,
        serviceEntries,
        workloadEntries,
        virtualServices,
        destinationRules,
        v,
        sidecars,
        peerAuthentications);
  }

  /** Copy with other sidecars. */
  public ClusterState withSidecars(List<Sidecar> v) {
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
        v,
        peerAuthentications);
  }

  /** Copy with other peerAuthentications. */
  public ClusterState withPeerAuthentications(List<PeerAuthentication> v) {
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
        v);
  }
}
