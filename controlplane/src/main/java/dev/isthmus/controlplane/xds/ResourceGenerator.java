package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code ResourceGenerator} produces all xDS resources (CDS, EDS, LDS, RDS, and Istio's DNS name
 * table, NDS, for proxies whose agent answers DNS) for one proxy from a {@link MeshSnapshot}. It is
 * pure: same snapshot and proxy, same resources. Within a {@link PushContext}, EDS assignments come
 * from the push's shared cache and equal resources of different proxies are the same instances.
 */
public final class ResourceGenerator {
  private ResourceGenerator() {}

  /** Every type for the proxy. */
  public static ProxyResources generate(MeshSnapshot mesh, ProxyNode proxy) {
    return generate(new PushContext(mesh), proxy);
  }

  /**
   * Every type for the proxy, built once per push for all proxies of the same {@link ProxyView}:
   * replicas of a workload, and sidecars without a known workload that claim the same labels, share
   * one result.
   */
  static ProxyResources generate(PushContext ctx, ProxyNode proxy) {
    return ctx.generated(ProxyView.of(ctx.mesh(), proxy), () -> build(ctx, proxy));
  }

  private static ProxyResources build(PushContext ctx, ProxyNode proxy) {
    ConfigLookup lookup = new ConfigLookup(ctx.mesh());
    List<Cluster> clusters = new ClusterGenerator(lookup, ctx::serviceAccounts).generate(proxy);
    Map<String, VersionedResource<?>> endpoints = new TreeMap<>();
    for (Cluster c : clusters) {
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        VersionedResource<?> cla = ctx.assignment(lookup, proxy, c.getName());
        endpoints.put(((ClusterLoadAssignment) cla.resource()).getClusterName(), cla);
      }
    }
    Map<String, Map<String, VersionedResource<?>>> m = new LinkedHashMap<>();
    m.put(Resources.V3.CLUSTER_TYPE_URL, ctx.intern(clusters, Resources.V3.CLUSTER_TYPE_URL));
    m.put(Resources.V3.ENDPOINT_TYPE_URL, ctx.internMap(Resources.V3.ENDPOINT_TYPE_URL, endpoints));
    m.put(
        Resources.V3.LISTENER_TYPE_URL,
        ctx.intern(new ListenerGenerator(lookup).generate(proxy), Resources.V3.LISTENER_TYPE_URL));
    m.put(
        Resources.V3.ROUTE_TYPE_URL,
        ctx.intern(new RouteGenerator(lookup).generate(proxy), Resources.V3.ROUTE_TYPE_URL));
    if (servesNameTable(proxy)) {
      m.put(
          NameTableGenerator.TYPE_URL,
          ctx.intern(
              List.of(new NameTableGenerator(lookup).generate(proxy)),
              NameTableGenerator.TYPE_URL));
    }
    return ProxyResources.ofVersioned(m);
  }

  /**
   * Whether the proxy gets Istio's DNS name table: only its agent's DNS proxy asks for it, and only
   * when DNS capture is on, so other proxies are spared building one on every push.
   */
  static boolean servesNameTable(ProxyNode proxy) {
    return proxy.dnsCapture() && proxy.type() != ProxyNode.Type.PROXYLESS_GRPC;
  }

  /** Only EDS, for endpoint-only changes; other types are kept from {@code previous}. */
  public static ProxyResources regenerateEndpoints(
      MeshSnapshot mesh, ProxyNode proxy, ProxyResources previous) {
    return regenerateEndpoints(new PushContext(mesh), proxy, previous, null);
  }

  /**
   * Only the assignments of clusters of {@code hosts} (all clusters when null), from the push's
   * shared cache, and the DNS name table of a proxy that gets one; everything else is kept from
   * {@code previous}.
   */
  static ProxyResources regenerateEndpoints(
      PushContext ctx, ProxyNode proxy, ProxyResources previous, Set<String> hosts) {
    return ctx.regenerated(
        ProxyView.of(ctx.mesh(), proxy),
        previous,
        () -> rebuildEndpoints(ctx, proxy, previous, hosts));
  }

  private static ProxyResources rebuildEndpoints(
      PushContext ctx, ProxyNode proxy, ProxyResources previous, Set<String> hosts) {
    ConfigLookup lookup = new ConfigLookup(ctx.mesh());
    Map<String, VersionedResource<?>> endpoints =
        new TreeMap<>(previous.resources(Resources.V3.ENDPOINT_TYPE_URL));
    for (var e : endpoints.entrySet()) {
      if (hosts == null || hosts.contains(Names.hostOfCluster(e.getKey()))) {
        e.setValue(ctx.assignment(lookup, proxy, e.getKey()));
      }
    }
    ProxyResources out =
        previous.withVersioned(
            Resources.V3.ENDPOINT_TYPE_URL,
            ctx.internMap(Resources.V3.ENDPOINT_TYPE_URL, endpoints));
    if (servesNameTable(proxy)) {
      // headless Services resolve to their ready endpoints: their names follow endpoint changes
      out =
          out.withVersioned(
              NameTableGenerator.TYPE_URL,
              ctx.intern(
                  List.of(new NameTableGenerator(lookup).generate(proxy)),
                  NameTableGenerator.TYPE_URL));
    }
    return out;
  }
}
