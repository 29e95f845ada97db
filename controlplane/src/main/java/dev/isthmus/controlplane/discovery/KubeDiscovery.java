package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.Change;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
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
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code KubeDiscovery} watches the cluster with fabric8 informers (Services, EndpointSlices, Pods,
 * Namespaces, Nodes, and Istio's ServiceEntry, WorkloadEntry, VirtualService, DestinationRule,
 * Gateway, Sidecar, PeerAuthentication) and hands every event to a {@link MeshIndex}, which updates
 * only the model entries the object feeds and says what changed; that {@link Change} is passed on
 * (none for events that change nothing the model holds, such as node heartbeats or pod status
 * updates). {@link #state()} reads the informer caches.
 */
public final class KubeDiscovery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubeDiscovery.class);

  /** How long a kind that cannot be listed is retried before the start fails. */
  static final java.time.Duration START_TIMEOUT = java.time.Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final MeshIndex index;
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
  private SharedIndexInformer<AuthorizationPolicy> authorizationPolicies;
  private SharedIndexInformer<RequestAuthentication> requestAuthentications;

  /**
   * @param client cluster access
   * @param index the incremental mesh model every event goes to
   * @param onChange receives the change each event causes
   */
  public KubeDiscovery(KubernetesClient client, MeshIndex index, Consumer<Change> onChange) {
    this.client = client;
    this.index = index;
    this.onChange = onChange;
  }

  /** The incremental model fed by the informers. */
  public MeshIndex index() {
    return index;
  }

  /** Starts all informers and waits until each has listed once. */
  public void start() {
    services = inform(Service.class);
    slices = inform(EndpointSlice.class);
    pods = inform(Pod.class);
    nodes = inform(Node.class);
    // Namespaces feed nothing in the model yet (no exportTo or namespace labels), so their events
    // cause no push; the informer stays for what will.
    informNoModel(Namespace.class);
    serviceEntries = inform(ServiceEntry.class);
    workloadEntries = inform(WorkloadEntry.class);
    virtualServices = inform(VirtualService.class);
    destinationRules = inform(DestinationRule.class);
    gateways = inform(Gateway.class);
    sidecars = inform(Sidecar.class);
    peerAuthentications = inform(PeerAuthentication.class);
    authorizationPolicies = inform(AuthorizationPolicy.class);
    requestAuthentications = inform(RequestAuthentication.class);
  }

  private <T extends HasMetadata> SharedIndexInformer<T> inform(Class<T> type) {
    return inform(type, index::upsert, index::delete);
  }

  private <T extends HasMetadata> void informNoModel(Class<T> type) {
    inform(type, o -> null, o -> null);
  }

  private <T extends HasMetadata> SharedIndexInformer<T> inform(
      Class<T> type, Function<T, Change> upsert, Function<T, Change> delete) {
    ResourceEventHandler<T> handler =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(T obj) {
            fire(upsert.apply(obj));
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            if (!Objects.equals(
                oldObj.getMetadata().getResourceVersion(),
                newObj.getMetadata().getResourceVersion())) {
              fire(upsert.apply(newObj));
            }
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            fire(delete.apply(obj));
          }
        };
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    for (int attempt = 1; ; attempt++) {
      SharedIndexInformer<T> inf = client.resources(type).inAnyNamespace().runnableInformer(0);
      inf.addEventHandler(handler);
      try {
        inf.run();
        informers.add(inf);
        return inf;
      } catch (RuntimeException e) {
        inf.close();
        // Serving without one kind would silently drop its configuration (a policy kind: its
        // policies), so a kind that cannot be listed is retried, and in the end stops the start.
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "cannot list and watch "
                  + type.getSimpleName()
                  + " after "
                  + attempt
                  + " attempts: "
                  + e.getMessage(),
              e);
        }
        LOG.warn(
            "cannot list and watch {} yet (attempt {}): {}; retrying",
            type.getSimpleName(),
            attempt,
            e.getMessage());
        sleep(Math.min(5_000, 250L << Math.min(attempt, 5)));
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting discovery", e);
    }
  }

  /**
   * Adds, updates and removes configuration derived from other objects (Istio config converted from
   * the Gateway API) as if an informer had seen it; it is validated like any other.
   */
  public void publish(
      java.util.Collection<? extends HasMetadata> upserts,
      java.util.Collection<? extends HasMetadata> deletes) {
    upserts.forEach(o -> fire(index.upsert(o)));
    deletes.forEach(o -> fire(index.delete(o)));
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
        list(peerAuthentications),
        list(authorizationPolicies),
        list(requestAuthentications));
  }

  private static <T> List<T> list(SharedIndexInformer<T> inf) {
    return inf == null ? List.of() : inf.getStore().list();
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
