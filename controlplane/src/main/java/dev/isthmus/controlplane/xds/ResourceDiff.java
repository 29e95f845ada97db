package dev.isthmus.controlplane.xds;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.envoyproxy.controlplane.cache.VersionedResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * {@code ResourceDiff} names the resources that differ between two maps of versioned resources
 * (added, removed, or of another version). Proxies share their resource maps, so a push asks the
 * same question for a thousand proxies: the answer is kept per pair of map instances (by identity,
 * weakly, so that maps no proxy holds any more can go) and computed once.
 */
final class ResourceDiff {
  private ResourceDiff() {}

  /** from (by identity) → to (by identity) → names that differ. */
  private static final Cache<
          Map<String, VersionedResource<?>>, Cache<Map<String, VersionedResource<?>>, List<String>>>
      DIFFS = CacheBuilder.newBuilder().weakKeys().maximumSize(4_096).build();

  /** The names whose resource differs between {@code from} and {@code to}. */
  static List<String> between(
      Map<String, VersionedResource<?>> from, Map<String, VersionedResource<?>> to) {
    try {
      return DIFFS
          .get(from, () -> CacheBuilder.newBuilder().weakKeys().maximumSize(16).build())
          .get(to, () -> compute(from, to));
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  static List<String> compute(
      Map<String, VersionedResource<?>> from, Map<String, VersionedResource<?>> to) {
    List<String> out = new ArrayList<>();
    for (var e : from.entrySet()) {
      VersionedResource<?> after = to.get(e.getKey());
      if (after == null
          || (after != e.getValue() && !after.version().equals(e.getValue().version()))) {
        out.add(e.getKey());
      }
    }
    for (String name : to.keySet()) {
      if (!from.containsKey(name)) {
        out.add(name);
      }
    }
    return List.copyOf(out);
  }
}
