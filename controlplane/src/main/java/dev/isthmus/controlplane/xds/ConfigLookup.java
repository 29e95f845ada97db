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
      if (sc == null || egressAllows(sc, svc)) {
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
      if (!hostMatches(h, host)) {
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

  /** Effective traffic policy for a subset: the subset's own policy overrides the rule's. */
  static TrafficPolicy policy(DestinationRule dr, String subset) {
    if (dr == null) {
      return null;
    }
    if (subset != null && !subset.isEmpty() && dr.getSubsets() != null) {
      for (Subset s : dr.getSubsets()) {
        if (subset.equals(s.getName()) && s.getTrafficPolicy() != null) {
          return merge(dr.getTrafficPolicy(), s.getTrafficPolicy());
        }
      }
    }
    return dr.getTrafficPolicy();
  }

  private static TrafficPolicy merge(TrafficPolicy base, TrafficPolicy over) {
    if (base == null) {
      return over;
    }
    TrafficPolicy t = new TrafficPolicy();
    t.setConnectionPool(
        over.getConnectionPool() != null ? over.getConnectionPool() : base.getConnectionPool());
    t.setLoadBalancer(
        over.getLoadBalancer() != null ? over.getLoadBalancer() : base.getLoadBalancer());
    t.setOutlierDetection(
        over.getOutlierDetection() != null
            ? over.getOutlierDetection()
            : base.getOutlierDetection());
    t.setTls(over.getTls() != null ? over.getTls() : base.getTls());
    return t;
  }

  /** VirtualServices bound to the mesh (no gateways, or {@code mesh}) for this host. */
  List<ConfigEntry<VirtualService>> meshVirtualServices(String host) {
    List<ConfigEntry<VirtualService>> out = new ArrayList<>();
    for (ConfigEntry<VirtualService> e : mesh.virtualServices()) {
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
    for (ConfigEntry<VirtualService> e : mesh.virtualServices()) {
      List<String> gws = e.spec().getGateways();
      if (gws == null) {
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
