package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.Change;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecurityPolicies;
import dev.isthmus.controlplane.model.Workload;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code MeshIndex} is the incremental form of {@link MeshModelBuilder}: it keeps the objects
 * discovery has seen keyed by kind and {@code namespace/name}, with what each one contributes to
 * the model (a service, the endpoints of one EndpointSlice, the services and endpoints of one
 * ServiceEntry, a workload, a validated config entry). An event updates the object and marks only
 * the entries it can change; {@link #snapshot()} recomputes those and returns a new immutable
 * {@link MeshSnapshot} that shares every unchanged service, endpoint list, workload map and config
 * list with the previous one. The result equals {@link MeshModelBuilder#build} of the same objects.
 *
 * <p>Each event returns the {@link Change} it causes: the hosts whose endpoints changed, and the
 * changed configuration by kind, namespace and name (a ServiceEntry or Service as its hosts, a pod
 * or WorkloadEntry as its address), or null when the object changed nothing the model holds (a pod
 * status update, a node heartbeat). Thread-safe; events and snapshots are serialised.
 */
public final class MeshIndex {
  private final MeshModelBuilder rules;
  private final String clusterDomain;

  private final Map<String, Service> services = new HashMap<>();
  private final Map<String, MeshService> kubeServices = new HashMap<>();
  private final Map<String, EndpointSlice> slices = new HashMap<>();
  private final Map<String, Pod> pods = new HashMap<>();
  private final Map<String, Node> nodes = new HashMap<>();

  private final Map<String, TreeSet<String>> slicesByService = new HashMap<>();
  private final Map<String, Set<String>> slicesByPod = new HashMap<>();
  private final Map<String, Set<String>> slicesByNode = new HashMap<>();
  private final EntryIndex entries = new EntryIndex();
  private final WorkloadIndex workloads = new WorkloadIndex();

  private final Map<String, List<MeshEndpoint>> sliceEndpoints = new HashMap<>();
  private final Map<String, MeshService> hostServices = new HashMap<>();
  private final Map<String, List<MeshEndpoint>> hostEndpoints = new HashMap<>();
  private final Map<String, String> rejected = new TreeMap<>();

  private final ConfigIndex config;

  private final Set<String> dirtySlices = new HashSet<>();
  private final Set<String> dirtyHosts = new HashSet<>();
  private boolean rejectedChanged;
  private MeshSnapshot last;

  /**
   * @param rules cluster domain, root namespace and rejection callback, shared with the full build
   */
  public MeshIndex(MeshModelBuilder rules) {
    this.rules = rules;
    this.clusterDomain = rules.clusterDomain();
    this.config = new ConfigIndex(rules);
    this.last = MeshSnapshot.empty(rules.clusterDomain(), rules.rootNamespace());
  }

  /** An index holding every object of a state. */
  public static MeshIndex of(MeshModelBuilder rules, ClusterState s) {
    MeshIndex i = new MeshIndex(rules);
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(s.services());
    all.addAll(s.endpointSlices());
    all.addAll(s.pods());
    all.addAll(s.nodes());
    all.addAll(s.serviceEntries());
    all.addAll(s.workloadEntries());
    all.addAll(s.virtualServices());
    all.addAll(s.destinationRules());
    all.addAll(s.gateways());
    all.addAll(s.sidecars());
    all.addAll(s.peerAuthentications());
    all.addAll(s.authorizationPolicies());
    all.addAll(s.requestAuthentications());
    all.forEach(i::upsert);
    return i;
  }

  /** Adds or updates an object; returns the change it causes, or null. */
  public synchronized Change upsert(HasMetadata o) {
    return apply(o, false);
  }

  /** Removes an object; returns the change it causes, or null. */
  public synchronized Change delete(HasMetadata o) {
    return apply(o, true);
  }

  private Change apply(HasMetadata o, boolean delete) {
    String key = MeshModelBuilder.key(o);
    Set<ConfigKey> configs = new HashSet<>();
    Set<String> hosts = new TreeSet<>();
    if (o instanceof Service s) {
      service(key, delete ? null : s, configs, hosts);
    } else if (o instanceof EndpointSlice s) {
      slice(key, delete ? null : s, hosts);
    } else if (o instanceof Pod p) {
      pod(key, delete ? null : p, configs, hosts);
    } else if (o instanceof Node n) {
      node(o.getMetadata().getName(), delete ? null : n, hosts);
    } else if (o instanceof ServiceEntry se) {
      serviceEntry(key, delete ? null : se, configs, hosts);
    } else if (o instanceof WorkloadEntry we) {
      workloadEntry(key, delete ? null : we, configs, hosts);
    } else if (ConfigIndex.handles(o)) {
      ConfigKey changed = config.apply(o, key, delete, rejected);
      if (changed == null) {
        return null;
      }
      rejectedChanged = true;
      configs.add(changed);
    } else {
      return null;
    }
    return Change.of(configs, hosts);
  }

  // --- Services and endpoints -------------------------------------------------------------

  private String kubeHost(String ns, String name) {
    return name + "." + ns + ".svc." + clusterDomain;
  }

  private void service(String key, Service s, Set<ConfigKey> configs, Set<String> hosts) {
    MeshService before = kubeServices.get(key);
    boolean existed = services.containsKey(key);
    MeshService after = s == null ? null : rules.kubeService(s);
    if (s == null) {
      services.remove(key);
      kubeServices.remove(key);
    } else {
      services.put(key, s);
      if (after == null) {
        kubeServices.remove(key);
      } else {
        kubeServices.put(key, after);
      }
    }
    if (Objects.equals(before, after) && existed == (s != null)) {
      return;
    }
    String[] nsName = key.split("/", 2);
    String host = kubeHost(nsName[0], nsName[1]);
    dirtyHosts.add(host);
    dirtySlices.addAll(slicesByService.getOrDefault(key, new TreeSet<>()));
    hosts.add(host);
    if (!Objects.equals(before, after)) {
      configs.add(ConfigKey.service(nsName[0], host));
    }
  }

  private static String serviceOf(EndpointSlice s) {
    Map<String, String> l = s.getMetadata().getLabels();
    String svc = l == null ? null : l.get(MeshModelBuilder.SERVICE_NAME_LABEL);
    return svc == null ? null : MeshModelBuilder.ns(s) + "/" + svc;
  }

  private void slice(String key, EndpointSlice s, Set<String> hosts) {
    EndpointSlice old = s == null ? slices.remove(key) : slices.put(key, s);
    if (old != null) {
      unindexSlice(key, old, hosts);
    }
    if (s != null) {
      indexSlice(key, s, hosts);
    }
    dirtySlices.add(key);
  }

  private void indexSlice(String key, EndpointSlice s, Set<String> hosts) {
    String svc = touchService(s, hosts);
    if (svc != null) {
      slicesByService.computeIfAbsent(svc, k -> new TreeSet<>()).add(key);
    }
    slicePods(s).forEach(pod -> slicesByPod.computeIfAbsent(pod, k -> new HashSet<>()).add(key));
    sliceNodes(s).forEach(n -> slicesByNode.computeIfAbsent(n, k -> new HashSet<>()).add(key));
  }

  private void unindexSlice(String key, EndpointSlice s, Set<String> hosts) {
    String svc = touchService(s, hosts);
    if (svc != null) {
      removeFromSet(slicesByService, svc, key);
    }
    slicePods(s).forEach(pod -> removeFromSet(slicesByPod, pod, key));
    sliceNodes(s).forEach(n -> removeFromSet(slicesByNode, n, key));
  }

  /** The service ({@code ns/name}) of {@code s}, whose host is marked changed; null if none. */
  private String touchService(EndpointSlice s, Set<String> hosts) {
    String svc = serviceOf(s);
    if (svc != null) {
      String[] nsName = svc.split("/", 2);
      String host = kubeHost(nsName[0], nsName[1]);
      hosts.add(host);
      dirtyHosts.add(host);
    }
    return svc;
  }

  /** The pods ({@code ns/name}) the endpoints of {@code s} point at. */
  private static List<String> slicePods(EndpointSlice s) {
    List<String> pods = new ArrayList<>();
    for (var ep : endpoints(s)) {
      if (ep.getTargetRef() != null && "Pod".equals(ep.getTargetRef().getKind())) {
        pods.add(
            Objects.requireNonNullElse(ep.getTargetRef().getNamespace(), MeshModelBuilder.ns(s))
                + "/"
                + ep.getTargetRef().getName());
      }
    }
    return pods;
  }

  /** The nodes the endpoints of {@code s} run on. */
  private static List<String> sliceNodes(EndpointSlice s) {
    List<String> nodes = new ArrayList<>();
    for (var ep : endpoints(s)) {
      if (ep.getNodeName() != null) {
        nodes.add(ep.getNodeName());
      }
    }
    return nodes;
  }

  private static List<Endpoint> endpoints(EndpointSlice s) {
    return s.getEndpoints() == null ? List.of() : s.getEndpoints();
  }

  private void pod(String key, Pod p, Set<ConfigKey> configs, Set<String> hosts) {
    Pod old = p == null ? pods.remove(key) : pods.put(key, p);
    Workload before = old == null ? null : MeshModelBuilder.workload(old);
    Workload after = p == null ? null : MeshModelBuilder.workload(p);
    boolean endpointInputs =
        old == null
            || p == null
            || !Objects.equals(labels(old), labels(p))
            || !Objects.equals(serviceAccount(old), serviceAccount(p));
    workloads.update(false, key, before, after, configs);
    if (endpointInputs) {
      for (String slice : slicesByPod.getOrDefault(key, Set.of())) {
        dirtySlices.add(slice);
        hostOfSlice(slice, hosts);
      }
    }
  }

  private static Map<String, String> labels(Pod p) {
    return MeshModelBuilder.orEmpty(p.getMetadata().getLabels());
  }

  private static String serviceAccount(Pod p) {
    return p.getSpec() == null ? null : p.getSpec().getServiceAccountName();
  }

  private void hostOfSlice(String sliceKey, Set<String> hosts) {
    EndpointSlice s = slices.get(sliceKey);
    String svc = s == null ? null : serviceOf(s);
    if (svc != null) {
      String[] nsName = svc.split("/", 2);
      String host = kubeHost(nsName[0], nsName[1]);
      hosts.add(host);
      dirtyHosts.add(host);
    }
  }

  private void node(String name, Node n, Set<String> hosts) {
    Node old = n == null ? nodes.remove(name) : nodes.put(name, n);
    if (old != null && n != null && Objects.equals(locality(old), locality(n))) {
      return; // heartbeats and status updates: nothing the model reads
    }
    for (String slice : slicesByNode.getOrDefault(name, Set.of())) {
      dirtySlices.add(slice);
      hostOfSlice(slice, hosts);
    }
  }

  private static List<String> locality(Node n) {
    Map<String, String> l = MeshModelBuilder.orEmpty(n.getMetadata().getLabels());
    return java.util.Arrays.asList(
        l.get("topology.kubernetes.io/region"),
        l.get("topology.kubernetes.io/zone"),
        l.get("topology.istio.io/subzone"));
  }

  private void serviceEntry(
      String key, ServiceEntry se, Set<ConfigKey> configs, Set<String> hosts) {
    entries.serviceEntry(key, se, configs, hosts);
    dirtyHosts.addAll(hosts);
  }

  private void workloadEntry(
      String key, WorkloadEntry we, Set<ConfigKey> configs, Set<String> hosts) {
    entries.workloadEntry(key, we, configs, hosts, workloads);
    dirtyHosts.addAll(hosts);
  }

  static <V> void removeFrom(Map<String, ? extends Map<String, V>> m, String k, String key) {
    Map<String, V> inner = m.get(k);
    if (inner != null) {
      inner.remove(key);
      if (inner.isEmpty()) {
        m.remove(k);
      }
    }
  }

  static void removeFromSet(Map<String, ? extends Set<String>> m, String k, String key) {
    Set<String> inner = m.get(k);
    if (inner != null) {
      inner.remove(key);
      if (inner.isEmpty()) {
        m.remove(k);
      }
    }
  }

  // --- Snapshot -------------------------------------------------------------------------------

  /** The snapshot of everything seen so far; recomputes only what events marked. */
  public synchronized MeshSnapshot snapshot() {
    boolean servicesChanged = false;
    boolean endpointsChanged = false;
    rejectedChanged |= entries.refresh(rejected, rules.onRejected());
    for (String key : dirtySlices) {
      EndpointSlice s = slices.get(key);
      String svc = s == null ? null : serviceOf(s);
      MeshService ms = svc == null ? null : kubeServices.get(svc);
      if (ms == null) {
        sliceEndpoints.remove(key);
        continue;
      }
      List<MeshEndpoint> out = new ArrayList<>();
      rules.sliceEndpoints(ms, s, pods, nodes, out);
      sliceEndpoints.put(key, out);
    }
    dirtySlices.clear();
    for (String host : dirtyHosts) {
      MeshService svc = null;
      List<MeshEndpoint> eps = new ArrayList<>();
      String kubeKey = kubeKeyOf(host);
      MeshService kube = kubeKey == null ? null : kubeServices.get(kubeKey);
      if (kube != null) {
        svc = kube;
        for (String slice : slicesByService.getOrDefault(kubeKey, new TreeSet<>())) {
          eps.addAll(sliceEndpoints.getOrDefault(slice, List.of()));
        }
      }
      svc = entries.contribute(host, svc, eps);
      servicesChanged |= !Objects.equals(svc, hostServices.get(host));
      if (svc == null) {
        hostServices.remove(host);
      } else {
        hostServices.put(host, svc);
      }
      List<MeshEndpoint> sorted = eps.stream().sorted(MeshModelBuilder.ENDPOINT_ORDER).toList();
      List<MeshEndpoint> previous = hostEndpoints.get(host);
      if (sorted.isEmpty()) {
        endpointsChanged |= previous != null;
        hostEndpoints.remove(host);
      } else if (!sorted.equals(previous)) {
        endpointsChanged = true;
        hostEndpoints.put(host, sorted);
      }
    }
    dirtyHosts.clear();
    boolean workloadsChanged = workloads.refresh();
    MeshSnapshot p = last;
    last =
        new MeshSnapshot(
            servicesChanged ? hostServices : p.services(),
            endpointsChanged ? hostEndpoints : p.endpoints(),
            workloadsChanged ? workloads.byAddress() : p.workloads(),
            config.virtualServices.list(),
            config.destinationRules.list(),
            config.gateways.list(),
            config.sidecars.list(),
            config.peerAuthentications.list(),
            rejectedChanged ? rejected : p.rejected(),
            p.clusterDomain(),
            p.rootNamespace(),
            policies(p.policies()));
    rejectedChanged = false;
    return last;
  }

  /** The security policies, the previous instance when neither kind changed. */
  private SecurityPolicies policies(SecurityPolicies previous) {
    var ap = config.authorizationPolicies.list();
    var ra = config.requestAuthentications.list();
    return ap == previous.authorizationPolicies() && ra == previous.requestAuthentications()
        ? previous
        : new SecurityPolicies(ap, ra, previous.settings());
  }

  private String kubeKeyOf(String host) {
    String suffix = ".svc." + clusterDomain;
    if (!host.endsWith(suffix)) {
      return null;
    }
    String rest = host.substring(0, host.length() - suffix.length());
    int dot = rest.lastIndexOf('.');
    if (dot <= 0 || rest.indexOf('.') != dot) {
      return null;
    }
    return rest.substring(dot + 1) + "/" + rest.substring(0, dot);
  }
}
