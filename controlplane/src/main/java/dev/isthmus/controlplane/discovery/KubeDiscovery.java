package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.xds.PushController.Change;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code KubeDiscovery} watches the cluster with fabric8 informers (Services, EndpointSlices, Pods,
 * Namespaces, Nodes, and Istio's ServiceEntry, WorkloadEntry, VirtualService, DestinationRule,
 * Gateway, Sidecar, PeerAuthentication) and reports each change as a {@link Change}: EndpointSlice,
 * Pod, Node and WorkloadEntry events are endpoint changes, everything else is a configuration
 * change. {@link #state()} reads the informer caches.
 */
public final class KubeDiscovery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubeDiscovery.class);

  private final KubernetesClient client;
  private final String clusterDomain;
  private final Consumer<Change> onChange;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SharedIndexInformer<Service> services;
  private SharedIndexInformer<EndpointSlice> slices;
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<ServiceEntry> serviceEntries;
  private SharedIndexInformer<WorkloadEntry> workloadEntries;
  private SharedIndexInformer<VirtualService> virtualServices;
  private SharedIndexInformer<DestinationRule> destinationRules;
  private SharedIndexInformer<Gateway> gateways;
  private SharedIndexInformer<Sidecar> sidecars;
  private SharedIndexInformer<PeerAuthentication> peerAuthentications;

  /**
   * @param client cluster access
   * @param clusterDomain DNS domain for service hostnames
   * @param onChange receives every change, after informers have synced
   */
  public KubeDiscovery(KubernetesClient client, String clusterDomain, Consumer<Change> onChange) {
    this.client = client;
    this.clusterDomain = clusterDomain;
    this.onChange = onChange;
  }

  /** Starts all informers and waits until each has listed once. */
  public void start() {
    services = inform(Service.class, s -> Change.config());
    slices =
        inform(
            EndpointSlice.class,
            s -> {
              Map<String, String> l = s.getMetadata().getLabels();
              String svc = l == null ? null : l.get(MeshModelBuilder.SERVICE_NAME_LABEL);
              return svc == null
                  ? null
                  : Change.endpoints(
                      Set.of(svc + "." + s.getMetadata().getNamespace() + ".svc." + clusterDomain));
            });
    // A pod leaving a service changes its EndpointSlice too; here only label-driven subset
    // membership matters, for the services that select the pod now.
    pods =
        inform(
            Pod.class,
            p -> {
              Set<String> hosts = hostsSelecting(p);
              return hosts.isEmpty() ? null : Change.endpoints(hosts);
            });
    nodes = inform(Node.class, n -> Change.endpoints(Set.of()));
    inform(Namespace.class, n -> Change.config());
    serviceEntries = inform(ServiceEntry.class, s -> Change.config());
    workloadEntries = inform(WorkloadEntry.class, w -> Change.endpoints(hostsSelecting(w)));
    virtualServices = inform(VirtualService.class, v -> Change.config());
    destinationRules = inform(DestinationRule.class, d -> Change.config());
    gateways = inform(Gateway.class, g -> Change.config());
    sidecars = inform(Sidecar.class, s -> Change.config());
    peerAuthentications = inform(PeerAuthentication.class, p -> Change.config());
  }

  private <T extends HasMetadata> SharedIndexInformer<T> inform(
      Class<T> type, Function<T, Change> change) {
    ResourceEventHandler<T> handler =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(T obj) {
            fire(change.apply(obj));
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            if (!Objects.equals(
                oldObj.getMetadata().getResourceVersion(),
                newObj.getMetadata().getResourceVersion())) {
              fire(change.apply(newObj));
            }
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            fire(change.apply(obj));
          }
        };
    try {
      SharedIndexInformer<T> inf = client.resources(type).inAnyNamespace().inform(handler, 0);
      informers.add(inf);
      return inf;
    } catch (RuntimeException e) {
      LOG.warn("cannot watch {} ({}); continuing without it", type.getSimpleName(), e.getMessage());
      return null;
    }
  }

  /**
   * Hosts whose endpoints a pod's or WorkloadEntry's labels feed: Services and ServiceEntries in
   * its namespace selecting it. For WorkloadEntries an empty result means all hosts (a relabelled
   * entry may have left a ServiceEntry), for pods it means no endpoint change.
   */
  private Set<String> hostsSelecting(HasMetadata workload) {
    Map<String, String> labels;
    if (workload instanceof WorkloadEntry we) {
      labels = we.getSpec() == null ? null : we.getSpec().getLabels();
    } else {
      labels = workload.getMetadata().getLabels();
    }
    if (labels == null) {
      labels = Map.of();
    }
    String ns = workload.getMetadata().getNamespace();
    Set<String> hosts = new java.util.TreeSet<>();
    for (Service s : list(services)) {
      Map<String, String> sel = s.getSpec() == null ? null : s.getSpec().getSelector();
      if (ns.equals(s.getMetadata().getNamespace())
          && sel != null
          && !sel.isEmpty()
          && MeshModelBuilder.matches(sel, labels)) {
        hosts.add(s.getMetadata().getName() + "." + ns + ".svc." + clusterDomain);
      }
    }
    for (ServiceEntry se : list(serviceEntries)) {
      var spec = se.getSpec();
      if (spec != null
          && ns.equals(se.getMetadata().getNamespace())
          && spec.getWorkloadSelector() != null
          && spec.getWorkloadSelector().getLabels() != null
          && MeshModelBuilder.matches(spec.getWorkloadSelector().getLabels(), labels)
          && spec.getHosts() != null) {
        hosts.addAll(spec.getHosts());
      }
    }
    return hosts;
  }

  private void fire(Change c) {
    if (c != null) {
      onChange.accept(c);
    }
  }

  /** Whether every informer that started has synced. */
  public boolean synced() {
    return informers.stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /** What the informers hold now. */
  public ClusterState state() {
    return new ClusterState(
        list(services),
        list(slices),
        list(pods),
        list(nodes),
        list(serviceEntries),
        list(workloadEntries),
        list(virtualServices),
        list(destinationRules),
        list(gateways),
        list(sidecars),
        list(peerAuthentications));
  }

  private static <T> List<T> list(SharedIndexInformer<T> inf) {
    return inf == null ? List.of() : inf.getStore().list();
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
