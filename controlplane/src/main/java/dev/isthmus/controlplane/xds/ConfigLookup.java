package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.Workload;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.IstioEgressListener;
import io.fabric8.istio.api.api.networking.v1alpha3.Sidecar;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyPortTrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ConfigLookup} answers which DestinationRule and VirtualServices apply to a host, with
 * Istio's precedence: the proxy's namespace, then the service's namespace, then the root namespace;
 * the oldest object wins among equals.
 */
final class ConfigLookup {
  private final MeshSnapshot mesh;

  ConfigLookup(MeshSnapshot mesh) {
    this.mesh = mesh;
  }

  MeshSnapshot mesh() {
    return mesh;
  }

  private String visibleFor;
  private List<MeshService> visible;

  /**
   * Services the proxy may reach: all of them, unless a Sidecar (workload-selected in the proxy's
   * namespace, else the namespace default, else the root namespace default) lists egress hosts.
   * Gateways are not scoped by Sidecars.
   */
  List<MeshService> visibleServices(ProxyNode proxy) {
    if (proxy.id().equals(visibleFor)) {
      return visible;
    }
    ConfigEntry<Sidecar> sc = proxy.type() == ProxyNode.Type.ROUTER ? null : sidecar(proxy);
    List<MeshService> out = new ArrayList<>();
    for (MeshService svc : mesh.services().values()) {
      if (svc.visibleIn(proxy.namespace()) && (sc == null || egressAllows(sc, svc))) {
        out.add(svc);
      }
    }
    visibleFor = proxy.id();
    visible = out;
    return out;
  }

  /** Whether the proxy's Sidecar sets {@code outboundTrafficPolicy.mode: REGISTRY_ONLY}. */
  boolean registryOnly(ProxyNode proxy) {
    ConfigEntry<Sidecar> sc = sidecar(proxy);
    return sc != null
        && sc.spec().getOutboundTrafficPolicy() != null
        && sc.spec().getOutboundTrafficPolicy().getMode()
            == io.fabric8.istio.api.api.networking.v1alpha3.OutboundTrafficPolicyMode.REGISTRY_ONLY;
  }

  ConfigEntry<Sidecar> sidecar(ProxyNode proxy) {
    Workload w = mesh.workloads().get(proxy.ip());
    Map<String, String> labels = w != null ? w.labels() : proxy.labels();
    ConfigEntry<Sidecar> nsDefault = null;
    ConfigEntry<Sidecar> rootDefault = null;
    for (ConfigEntry<Sidecar> e : mesh.sidecars()) {
      var sel = e.spec().getWorkloadSelector();
      boolean hasSelector = sel != null && sel.getLabels() != null && !sel.getLabels().isEmpty();
      if (e.namespace().equals(proxy.namespace())) {
        if (hasSelector) {
          if (sel.getLabels().entrySet().stream()
              .allMatch(x -> x.getValue().equals(labels.get(x.getKey())))) {
            return e;
          }
        } else if (nsDefault == null) {
          nsDefault = e;
        }
      } else if (e.namespace().equals(mesh.rootNamespace())
          && !hasSelector
          && rootDefault == null) {
        rootDefault = e;
      }
    }
    return nsDefault != null ? nsDefault : rootDefault;
  }

  private static boolean egressAllows(ConfigEntry<Sidecar> sc, MeshService svc) {
    if (sc.spec().getEgress() == null || sc.spec().getEgress().isEmpty()) {
      return true;
    }
    for (IstioEgressListener l : sc.spec().getEgress()) {
      if (l.getHosts() == null) {
        continue;
      }
      for (String h : l.getHosts()) {
        int slash = h.indexOf('/');
        String ns = slash < 0 ? "*" : h.substring(0, slash);
        String dns = slash < 0 ? h : h.substring(slash + 1);
        boolean nsOk =
            ns.equals("*") || (ns.equals(".") ? sc.namespace() : ns).equals(svc.namespace());
        if (nsOk && hostMatches(dns, svc.hostname())) {
          return true;
        }
      }
    }
    return false;
  }

  static boolean hostMatches(String pattern, String host) {
    if (pattern.equals("*")) {
      return true;
    }
    if (pattern.startsWith("*.")) {
      return host.endsWith(pattern.substring(1));
    }
    return pattern.equals(host);
  }

  Optional<ConfigEntry<DestinationRule>> destinationRule(
      String host, String serviceNamespace, String proxyNamespace) {
    ConfigEntry<DestinationRule> best = null;
    int bestRank = Integer.MAX_VALUE;
    for (ConfigEntry<DestinationRule> e : mesh.destinationRules()) {
      String h = mesh.resolveHost(e.spec().getHost(), e.namespace());
      if (!hostMatches(h, host)
          || !MeshService.exported(e.spec().getExportTo(), e.namespace(), proxyNamespace)) {
        continue;
      }
      int rank =
          (e.namespace().equals(proxyNamespace)
                      ? 0
                      : e.namespace().equals(serviceNamespace)
                          ? 1
                          : e.namespace().equals(mesh.rootNamespace()) ? 2 : 3)
                  * 2
              + (h.equals(host) ? 0 : 1);
      if (rank < bestRank) {
        best = e;
        bestRank = rank;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Effective traffic policy for a subset on a service port, merged as Istio does: the rule's
   * top-level policy, replaced field by field by its {@code portLevelSettings} entry for the port,
   * then by the subset's own policy and the subset's entry for the port. A port-level entry
   * replaces connection pool, load balancer, outlier detection and TLS as a whole: unset fields
   * fall back to defaults, not to the top level.
   */
  static TrafficPolicy policy(DestinationRule dr, String subset, int port) {
    if (dr == null) {
      return null;
    }
    TrafficPolicy base = forPort(dr.getTrafficPolicy(), port);
    if (subset != null && !subset.isEmpty() && dr.getSubsets() != null) {
      for (Subset s : dr.getSubsets()) {
        if (subset.equals(s.getName()) && s.getTrafficPolicy() != null) {
          return forPort(merge(base, s.getTrafficPolicy()), s.getTrafficPolicy(), port);
        }
      }
    }
    return base;
  }

  /** {@link #policy(DestinationRule, String, int)} without port-level settings. */
  static TrafficPolicy policy(DestinationRule dr, String subset) {
    return policy(dr, subset, -1);
  }

  private static TrafficPolicy forPort(TrafficPolicy tp, int port) {
    return tp == null ? null : forPort(tp, tp, port);
  }

  private static TrafficPolicy forPort(TrafficPolicy into, TrafficPolicy from, int port) {
    if (from.getPortLevelSettings() == null) {
      return into;
    }
    for (TrafficPolicyPortTrafficPolicy p : from.getPortLevelSettings()) {
      if (p.getPort() != null
          && p.getPort().getNumber() != null
          && p.getPort().getNumber() == port) {
        TrafficPolicy t = copy(into);
        t.setConnectionPool(p.getConnectionPool());
        t.setLoadBalancer(p.getLoadBalancer());
        t.setOutlierDetection(p.getOutlierDetection());
        t.setTls(p.getTls());
        return t;
      }
    }
    return into;
  }

  private static TrafficPolicy copy(TrafficPolicy from) {
    TrafficPolicy t = new TrafficPolicy();
    t.setConnectionPool(from.getConnectionPool());
    t.setLoadBalancer(from.getLoadBalancer());
    t.setOutlierDetection(from.getOutlierDetection());
    t.setTls(from.getTls());
    t.setProxyProtocol(from.getProxyProtocol());
    return t;
  }

  private static TrafficPolicy merge(TrafficPolicy base, TrafficPolicy over) {
    if (base == null) {
      return copy(over);
    }
    TrafficPolicy t = copy(base);
    if (over.getConnectionPool() != null) t.setConnectionPool(over.getConnectionPool());
    if (over.getLoadBalancer() != null) t.setLoadBalancer(over.getLoadBalancer());
    if (over.getOutlierDetection() != null) t.setOutlierDetection(over.getOutlierDetection());
    if (over.getTls() != null) t.setTls(over.getTls());
    return t;
  }

  private List<ConfigEntry<VirtualService>> roots;

  /**
   * VirtualServices with hosts, delegated routes merged in (see {@link VirtualServiceDelegates}).
   */
  List<ConfigEntry<VirtualService>> virtualServices() {
    if (roots == null) {
      roots = VirtualServiceDelegates.expand(mesh);
    }
    return roots;
  }

  /**
   * VirtualServices bound to the mesh (no gateways, or {@code mesh}) for this host and exported to
   * {@code namespace}.
   */
  List<ConfigEntry<VirtualService>> meshVirtualServices(String host, String namespace) {
    List<ConfigEntry<VirtualService>> out = new ArrayList<>();
    for (ConfigEntry<VirtualService> e : virtualServices()) {
      if (!MeshService.exported(e.spec().getExportTo(), e.namespace(), namespace)) {
        continue;
      }
      List<String> gws = e.spec().getGateways();
      if (gws != null && !gws.isEmpty() && !gws.contains("mesh")) {
        continue;
      }
      if (bindsHost(e, host)) {
        out.add(e);
      }
    }
    return out;
  }

  /** VirtualServices bound to a gateway ({@code ns/name}) and matching one of the hosts. */
  List<ConfigEntry<VirtualService>> gatewayVirtualServices(String gatewayKey, String gatewayNs) {
    List<ConfigEntry<VirtualService>> out = new ArrayList<>();
    for (ConfigEntry<VirtualService> e : virtualServices()) {
      List<String> gws = e.spec().getGateways();
      if (gws == null || !MeshService.exported(e.spec().getExportTo(), e.namespace(), gatewayNs)) {
        continue;
      }
      for (String g : gws) {
        String full = g.contains("/") ? g : e.namespace() + "/" + g;
        if (full.equals(gatewayKey)) {
          out.add(e);
          break;
        }
      }
    }
    return out;
  }

  boolean bindsHost(ConfigEntry<VirtualService> e, String host) {
    for (String h : e.spec().getHosts()) {
      if (hostMatches(mesh.resolveHost(h, e.namespace()), host)) {
        return true;
      }
    }
    return false;
  }
}
