package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * {@code EntryIndex} is the ServiceEntry part of {@link MeshIndex}: ServiceEntries and
 * WorkloadEntries by key, which entries declare a host, and what each entry contributes (a service
 * and endpoints per host, from {@link ServiceEntries}), recomputed only for entries an event
 * touched.
 */
final class EntryIndex {
  private final Map<String, ServiceEntry> serviceEntries = new HashMap<>();
  private final Map<String, WorkloadEntry> workloadEntries = new HashMap<>();
  private final Map<String, TreeSet<String>> entriesByHost = new HashMap<>();
  private final Map<String, Map<String, ServiceEntry>> entriesByNamespace = new HashMap<>();
  private final Map<String, Map<String, WorkloadEntry>> workloadEntriesByNamespace =
      new HashMap<>();
  private final Map<String, EntryModel> entryModels = new HashMap<>();
  private final Set<String> dirtyEntries = new HashSet<>();

  /** What one ServiceEntry contributes, by host. */
  private record EntryModel(
      Map<String, MeshService> services, Map<String, List<MeshEndpoint>> eps) {}

  private static List<String> hostsOf(ServiceEntry se) {
    return se == null || se.getSpec() == null || se.getSpec().getHosts() == null
        ? List.of()
        : se.getSpec().getHosts();
  }

  /** Stores or removes a ServiceEntry; adds the hosts and services it changes. */
  void serviceEntry(String key, ServiceEntry se, Set<ConfigKey> configs, Set<String> hosts) {
    ServiceEntry old = se == null ? serviceEntries.remove(key) : serviceEntries.put(key, se);
    if (old != null && se != null && Objects.equals(old.getSpec(), se.getSpec())) {
      return;
    }
    String ns = MeshModelBuilder.ns(se != null ? se : old);
    for (String h : hostsOf(old)) {
      MeshIndex.removeFromSet(entriesByHost, h, key);
      markHost(ns, h, configs, hosts);
    }
    if (se == null) {
      MeshIndex.removeFrom(entriesByNamespace, ns, key);
    } else {
      entriesByNamespace.computeIfAbsent(ns, k -> new HashMap<>()).put(key, se);
      for (String h : hostsOf(se)) {
        entriesByHost.computeIfAbsent(h, k -> new TreeSet<>()).add(key);
        markHost(ns, h, configs, hosts);
      }
    }
    dirtyEntries.add(key);
  }

  private static void markHost(String ns, String host, Set<ConfigKey> configs, Set<String> hosts) {
    hosts.add(host);
    configs.add(ConfigKey.service(ns, host));
  }

  /**
   * Stores or removes a WorkloadEntry; adds the hosts of the ServiceEntries selecting it (before or
   * after), DNS ones as changed services since their endpoints are in CDS, and its workload.
   */
  void workloadEntry(
      String key,
      WorkloadEntry we,
      Set<ConfigKey> configs,
      Set<String> hosts,
      WorkloadIndex workloads) {
    WorkloadEntry old = we == null ? workloadEntries.remove(key) : workloadEntries.put(key, we);
    if (old != null && we != null && Objects.equals(old.getSpec(), we.getSpec())) {
      return;
    }
    String ns = MeshModelBuilder.ns(we != null ? we : old);
    if (we == null) {
      MeshIndex.removeFrom(workloadEntriesByNamespace, ns, key);
    } else {
      workloadEntriesByNamespace.computeIfAbsent(ns, k -> new HashMap<>()).put(key, we);
    }
    workloads.update(
        true,
        key,
        old == null ? null : MeshModelBuilder.workload(old),
        we == null ? null : MeshModelBuilder.workload(we),
        configs);
    for (WorkloadEntry w : new WorkloadEntry[] {old, we}) {
      if (w == null) {
        continue;
      }
      Map<String, String> labels =
          w.getSpec() == null ? Map.of() : MeshModelBuilder.orEmpty(w.getSpec().getLabels());
      for (var e : entriesByNamespace.getOrDefault(ns, Map.of()).entrySet()) {
        var spec = e.getValue().getSpec();
        if (spec == null
            || spec.getWorkloadSelector() == null
            || spec.getWorkloadSelector().getLabels() == null
            || spec.getWorkloadSelector().getLabels().isEmpty()
            || !MeshModelBuilder.matches(spec.getWorkloadSelector().getLabels(), labels)) {
          continue;
        }
        dirtyEntries.add(e.getKey());
        for (String h : hostsOf(e.getValue())) {
          hosts.add(h);
          if (spec.getResolution()
                  == io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution.DNS
              || spec.getResolution()
                  == io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution
                      .DNS_ROUND_ROBIN) {
            // DNS clusters carry their endpoints in CDS, not EDS.
            configs.add(ConfigKey.service(ns, h));
          }
        }
      }
    }
  }

  /** Recomputes the entries events marked; returns whether any was. */
  boolean refresh(Map<String, String> rejected, BiConsumer<String, String> onRejected) {
    boolean any = !dirtyEntries.isEmpty();
    for (String key : dirtyEntries) {
      ServiceEntry se = serviceEntries.get(key);
      rejected.remove("ServiceEntry " + key);
      if (se == null) {
        entryModels.remove(key);
        continue;
      }
      Map<String, MeshService> svcs = new LinkedHashMap<>();
      Map<String, List<MeshEndpoint>> eps = new LinkedHashMap<>();
      List<WorkloadEntry> wes =
          List.copyOf(
              workloadEntriesByNamespace.getOrDefault(MeshModelBuilder.ns(se), Map.of()).values());
      ServiceEntries.add(se, wes, svcs, eps, rejected, onRejected);
      entryModels.put(key, new EntryModel(svcs, eps));
    }
    dirtyEntries.clear();
    return any;
  }

  /**
   * Adds the endpoints ServiceEntries give a host, in key order; returns {@code svc}, or when null
   * the service of the first entry declaring the host.
   */
  MeshService contribute(String host, MeshService svc, List<MeshEndpoint> eps) {
    for (String entry : entriesByHost.getOrDefault(host, new TreeSet<>())) {
      EntryModel m = entryModels.get(entry);
      if (m == null || !m.services().containsKey(host)) {
        continue;
      }
      if (svc == null) {
        svc = m.services().get(host);
      }
      eps.addAll(m.eps().getOrDefault(host, List.of()));
    }
    return svc;
  }
}
