package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.Workload;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code WorkloadIndex} is the workload part of {@link MeshIndex}: workloads by address from pods
 * and WorkloadEntries. Of several at one address (host-network pods), a WorkloadEntry wins over a
 * pod and the greatest {@code namespace/name} wins among equals, as in {@link MeshModelBuilder}.
 */
final class WorkloadIndex {
  private final Map<String, TreeMap<String, Workload>> fromPods = new HashMap<>();
  private final Map<String, TreeMap<String, Workload>> fromEntries = new HashMap<>();
  private final Map<String, Workload> workloads = new HashMap<>();
  private final Set<String> dirty = new HashSet<>();

  /** A pod's or WorkloadEntry's workload changed from {@code before} to {@code after}. */
  void update(boolean entry, String key, Workload before, Workload after, Set<ConfigKey> configs) {
    if (Objects.equals(before, after)) {
      return;
    }
    Map<String, TreeMap<String, Workload>> byIp = entry ? fromEntries : fromPods;
    if (before != null) {
      TreeMap<String, Workload> at = byIp.get(before.address());
      if (at != null) {
        at.remove(key);
        if (at.isEmpty()) {
          byIp.remove(before.address());
        }
      }
      dirty.add(before.address());
      configs.add(ConfigKey.workload(before.address()));
    }
    if (after != null) {
      byIp.computeIfAbsent(after.address(), k -> new TreeMap<>()).put(key, after);
      dirty.add(after.address());
      configs.add(ConfigKey.workload(after.address()));
    }
  }

  /** Recomputes the marked addresses; returns whether any workload changed. */
  boolean refresh() {
    boolean changed = false;
    for (String address : dirty) {
      TreeMap<String, Workload> e = fromEntries.get(address);
      TreeMap<String, Workload> p = fromPods.get(address);
      Workload w =
          e != null ? e.lastEntry().getValue() : p != null ? p.lastEntry().getValue() : null;
      changed |= !Objects.equals(w, workloads.get(address));
      if (w == null) {
        workloads.remove(address);
      } else {
        workloads.put(address, w);
      }
    }
    dirty.clear();
    return changed;
  }

  /** Workloads by address, mutable: the snapshot copies it. */
  Map<String, Workload> byAddress() {
    return workloads;
  }
}
