package dev.isthmus.controlplane.xds;

import com.google.common.net.InetAddresses;
import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.xds.proto.NameTable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code NameTableGenerator} builds Istio's DNS name table (NDS) for a proxy, as istiod's {@code
 * BuildNameTable}: every service the proxy sees, by host name, with its virtual IP, or for a
 * headless Kubernetes Service the addresses of its ready endpoints. Kubernetes entries carry the
 * Service's name and namespace, from which the agent's DNS proxy also answers the short forms
 * ({@code reviews}, {@code reviews.ns}, {@code reviews.ns.svc}). A host defined both by a Service
 * and by ServiceEntries resolves as the Service; ServiceEntries of one host add up their addresses.
 * Not covered: per-pod names of headless services ({@code <hostname>.<subdomain>...}) and the
 * addresses istiod allocates to ServiceEntries without one.
 */
final class NameTableGenerator {
  /**
   * The type URL Istio's agent asks for when its DNS proxy is on ({@code ISTIO_META_DNS_CAPTURE}).
   */
  static final String TYPE_URL = "type.googleapis.com/istio.networking.nds.v1.NameTable";

  static final String KUBERNETES = "Kubernetes";
  static final String EXTERNAL = "External";

  private final ConfigLookup lookup;

  NameTableGenerator(ConfigLookup lookup) {
    this.lookup = lookup;
  }

  NameTable generate(ProxyNode proxy) {
    NameTable.Builder out = NameTable.newBuilder();
    for (MeshService svc : lookup.visibleServices(proxy)) {
      List<String> ips = addresses(svc);
      if (ips.isEmpty()) {
        continue;
      }
      boolean kube = svc.origin() == MeshService.Origin.KUBERNETES;
      NameTable.NameInfo known = out.getTableMap().get(svc.hostname());
      if (known != null && (known.getRegistry().equals(KUBERNETES) || kube)) {
        if (known.getRegistry().equals(KUBERNETES)) {
          continue; // the Service wins over ServiceEntries decorating it
        }
        known = null; // a Service replaces the ServiceEntries seen before it
      }
      NameTable.NameInfo.Builder info =
          known != null ? known.toBuilder() : NameTable.NameInfo.newBuilder();
      info.addAllIps(ips).setRegistry(kube ? KUBERNETES : EXTERNAL);
      if (kube) {
        info.setNamespace(svc.namespace()).setShortname(svc.name());
      }
      out.putTable(svc.hostname(), info.build());
    }
    return out.build();
  }

  private List<String> addresses(MeshService svc) {
    if (!svc.address().isEmpty()) {
      // CIDRs and anything else that is not one address are left out, as istiod does.
      return InetAddresses.isInetAddress(svc.address()) ? List.of(svc.address()) : List.of();
    }
    if (svc.origin() != MeshService.Origin.KUBERNETES || svc.ports().isEmpty()) {
      return List.of();
    }
    // A headless Service resolves, as in Kubernetes DNS, to its ready endpoints.
    TreeSet<String> ready = new TreeSet<>();
    for (MeshEndpoint e : lookup.mesh().endpointsOf(svc.hostname())) {
      if (e.health() == MeshEndpoint.Health.HEALTHY && InetAddresses.isInetAddress(e.address())) {
        ready.add(e.address());
      }
    }
    return new ArrayList<>(ready);
  }
}
