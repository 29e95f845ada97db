package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ResourceGenerator} produces all xDS resources (CDS, EDS, LDS, RDS) for one proxy from a
 * {@link MeshSnapshot}. It is pure: same snapshot and proxy, same resources.
 */
public final class ResourceGenerator {
  private ResourceGenerator() {}

  /** Every type for the proxy. */
  public static ProxyResources generate(MeshSnapshot mesh, ProxyNode proxy) {
    ConfigLookup lookup = new ConfigLookup(mesh);
    List<Cluster> clusters = new ClusterGenerator(lookup).generate(proxy);
    Map<String, List<? extends com.google.protobuf.Message>> m = new LinkedHashMap<>();
    m.put(Resources.V3.CLUSTER_TYPE_URL, clusters);
    m.put(Resources.V3.ENDPOINT_TYPE_URL, endpoints(lookup, proxy, clusters));
    m.put(Resources.V3.LISTENER_TYPE_URL, new ListenerGenerator(lookup).generate(proxy));
    m.put(Resources.V3.ROUTE_TYPE_URL, new RouteGenerator(lookup).generate(proxy));
    return ProxyResources.of(m);
  }

  /** Only EDS, for endpoint-only changes; other types are kept from {@code previous}. */
  public static ProxyResources regenerateEndpoints(
      MeshSnapshot mesh, ProxyNode proxy, ProxyResources previous) {
    ConfigLookup lookup = new ConfigLookup(mesh);
    List<String> names =
        new ArrayList<>(previous.resources(Resources.V3.ENDPOINT_TYPE_URL).keySet());
    return previous.with(
        Resources.V3.ENDPOINT_TYPE_URL, new EndpointGenerator(lookup).generate(proxy, names));
  }

  private static List<ClusterLoadAssignment> endpoints(
      ConfigLookup lookup, ProxyNode proxy, List<Cluster> clusters) {
    List<String> names = new ArrayList<>();
    for (Cluster c : clusters) {
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        names.add(c.getName());
      }
    }
    return new EndpointGenerator(lookup).generate(proxy, names);
  }
}
