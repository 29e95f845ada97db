package dev.isthmus.controlplane.xds;

import com.google.protobuf.Message;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code PushContext} is what one push shares between all proxies it regenerates (Istio's name for
 * the same thing): the snapshot, the EDS cache, and an interner that makes proxies with equal
 * resources hold the same message instance.
 *
 * <p>The EDS cache builds a {@code ClusterLoadAssignment} once per cluster and push. Its key is the
 * cluster name plus what else an assignment may depend on for a given proxy: the DestinationRule
 * that applies to the host from the proxy's namespace (subset labels), and, when that rule's
 * traffic policy asks for locality-aware load balancing or outlier detection (the conditions under
 * which Istio makes EDS locality-dependent), the proxy's locality and labels, because an assignment
 * may then be prioritised for them. Entries of hosts whose endpoints did not change are carried
 * over to the next push when no configuration changed.
 *
 * <p>The interner keys resources by type, name and content hash (the same hash that versions them),
 * so that a thousand sidecars with the same cluster list share one set of messages in memory, and
 * the serializer's per-instance cache encodes each one once.
 */
final class PushContext {
  private final MeshSnapshot mesh;

  /** Host to (cache key to assignment). */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, VersionedResource<?>>> eds;

  private final ConcurrentHashMap<String, VersionedResource<?>> interned =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Map<String, VersionedResource<?>>> maps =
      new ConcurrentHashMap<>();

  /** Whole results by view: proxies with equal views share one, built once per push. */
  private final ConcurrentHashMap<ProxyView, Lazy> generated = new ConcurrentHashMap<>();

  /** EDS-only results by view and previous resources (by identity), built once per push. */
  private final ConcurrentHashMap<List<Object>, Lazy> regenerated = new ConcurrentHashMap<>();

  /**
   * A result built by the first caller and waited for by the others, so that a long build holds no
   * lock of the map.
   */
  private static final class Lazy {
    private ProxyResources value;
    private RuntimeException failure;

    synchronized ProxyResources get(java.util.function.Supplier<ProxyResources> build) {
      if (value == null && failure == null) {
        try {
          value = build.get();
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      if (failure != null) {
        throw failure;
      }
      return value;
    }
  }

  /** The resources of proxies with this view in this push, built by {@code build} once. */
  ProxyResources generated(ProxyView view, java.util.function.Supplier<ProxyResources> build) {
    return generated.computeIfAbsent(view, v -> new Lazy()).get(build);
  }

  /**
   * The EDS-only update of {@code previous} for proxies with this view in this push, built once:
   * proxies that shared their previous resources share the update too.
   */
  ProxyResources regenerated(
      ProxyView view, ProxyResources previous, java.util.function.Supplier<ProxyResources> build) {
    List<Object> key = List.of(view, new Identity(previous));
    return regenerated.computeIfAbsent(key, k -> new Lazy()).get(build);
  }

  /** Equality by identity, for keys that must not compare large maps. */
  private record Identity(Object o) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Identity i && i.o == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(o);
    }
  }

  /** Identities by host, computed once per push (they depend on every endpoint of the host). */
  private final ConcurrentHashMap<String, List<String>> serviceAccounts = new ConcurrentHashMap<>();

  PushContext(MeshSnapshot mesh) {
    this(mesh, new ConcurrentHashMap<>());
  }

  private PushContext(
      MeshSnapshot mesh,
      ConcurrentHashMap<String, ConcurrentHashMap<String, VersionedResource<?>>> eds) {
    this.mesh = mesh;
    this.eds = eds;
  }

  MeshSnapshot mesh() {
    return mesh;
  }

  /** The service's identities ({@link ServiceAccounts#of}) in this push. */
  List<String> serviceAccounts(dev.isthmus.controlplane.model.MeshService svc) {
    return serviceAccounts.computeIfAbsent(svc.hostname(), h -> ServiceAccounts.of(mesh, svc));
  }

  /**
   * The context of the next push.
   *
   * @param keepEndpoints whether EDS entries may be carried over (no service or configuration
   *     changed)
   * @param allEndpoints whether every host's endpoints changed
   * @param changedHosts hosts whose endpoints changed
   */
  PushContext next(
      MeshSnapshot next, boolean keepEndpoints, boolean allEndpoints, Set<String> changedHosts) {
    if (!keepEndpoints || allEndpoints) {
      return new PushContext(next);
    }
    var carried = new ConcurrentHashMap<>(eds);
    changedHosts.forEach(carried::remove);
    return new PushContext(next, carried);
  }

  /** The versioned assignment of a cluster for a proxy, built at most once per key. */
  VersionedResource<?> assignment(ConfigLookup lookup, ProxyNode proxy, String cluster) {
    String host = Names.hostOfCluster(cluster);
    String key = cluster + '\u0000' + dependencies(lookup, proxy, host);
    return eds.computeIfAbsent(host == null ? "" : host, h -> new ConcurrentHashMap<>())
        .computeIfAbsent(
            key,
            k -> intern(new EndpointGenerator(lookup).assignment(proxy, cluster), endpointType()));
  }

  private static String endpointType() {
    return Resources.V3.ENDPOINT_TYPE_URL;
  }

  private String dependencies(ConfigLookup lookup, ProxyNode proxy, String host) {
    if (host == null) {
      return "";
    }
    MeshService svc = mesh.services().get(host);
    if (svc == null) {
      return "";
    }
    ConfigEntry<DestinationRule> dr =
        lookup.destinationRule(host, svc.namespace(), proxy.namespace()).orElse(null);
    if (dr == null) {
      return "";
    }
    // a locality-aware assignment depends on the proxy's locality and, with failoverPriority, its
    // labels: proxies that share both (replicas of one workload in one zone) share it
    return dr.key()
        + (localityDependent(dr.spec())
            ? '\u0000'
                + proxy.locality()
                + '\u0000'
                + new java.util.TreeMap<>(ProxyView.of(mesh, proxy).labels())
            : "");
  }

  private static boolean localityDependent(DestinationRule dr) {
    if (localityDependent(dr.getTrafficPolicy())) {
      return true;
    }
    return dr.getSubsets() != null
        && dr.getSubsets().stream().anyMatch(s -> localityDependent(s.getTrafficPolicy()));
  }

  private static boolean localityDependent(TrafficPolicy tp) {
    return tp != null
        && (tp.getOutlierDetection() != null
            || (tp.getLoadBalancer() != null && tp.getLoadBalancer().getLocalityLbSetting() != null)
            || (tp.getPortLevelSettings() != null && !tp.getPortLevelSettings().isEmpty()));
  }

  /** The shared instance of an equal resource, versioned by its content hash. */
  VersionedResource<?> intern(Message msg, String typeUrl) {
    String version = ProxyResources.hash(msg);
    String key = typeUrl + '\u0000' + Resources.getResourceName(msg) + '\u0000' + version;
    VersionedResource<?> v = interned.get(key);
    if (v != null) {
      return v;
    }
    return interned.computeIfAbsent(key, k -> VersionedResource.create(msg, version));
  }

  /** Interned resources of one type, by name, as an interned map. */
  Map<String, VersionedResource<?>> intern(
      java.util.Collection<? extends Message> list, String typeUrl) {
    Map<String, VersionedResource<?>> out = new java.util.TreeMap<>();
    for (Message m : list) {
      VersionedResource<?> v = intern(m, typeUrl);
      // The shared instance's name, so that the maps of many proxies share their keys too.
      out.put(Resources.getResourceName(v.resource()), v);
    }
    return internMap(typeUrl, out);
  }

  /**
   * The shared instance of an equal map of resources: sidecars with the same view of the mesh (same
   * namespace and Sidecar) have equal cluster, assignment and route maps, kept once.
   */
  Map<String, VersionedResource<?>> internMap(
      String typeUrl, Map<String, VersionedResource<?>> resources) {
    com.google.common.hash.Hasher h = com.google.common.hash.Hashing.murmur3_128().newHasher();
    resources.forEach(
        (k, v) ->
            h.putString(k, java.nio.charset.StandardCharsets.UTF_8)
                .putString(v.version(), java.nio.charset.StandardCharsets.UTF_8));
    String key = typeUrl + '\u0000' + resources.size() + '\u0000' + h.hash();
    return maps.computeIfAbsent(key, k -> java.util.Collections.unmodifiableMap(resources));
  }
}
