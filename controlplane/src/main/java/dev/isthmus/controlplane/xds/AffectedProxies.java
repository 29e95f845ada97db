package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.Workload;
import io.fabric8.istio.api.api.networking.v1alpha3.Sidecar;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code AffectedProxies} decides which proxies a configuration change concerns, following Istio's
 * rules (a proxy depends on a config when the config is visible to it):
 *
 * <ul>
 *   <li>a service (Kubernetes Service or ServiceEntry host): proxies that can see the host before
 *       or after the change (their Sidecar's egress hosts), and proxies in the service's namespace
 *       (whose inbound ports it may select);
 *   <li>a VirtualService or DestinationRule: proxies that can see one of its hosts; every gateway
 *       for VirtualServices (they may be bound to it);
 *   <li>a Gateway: gateways only;
 *   <li>a Sidecar: the proxies whose workload it selects (before or after the change); all proxies
 *       of its namespace when it has no selector, every proxy when it is the root namespace's
 *       default;
 *   <li>a PeerAuthentication: proxies in its namespace and proxies that can see a service of its
 *       namespace (automatic mutual TLS), every proxy when it is in the root namespace;
 *   <li>a workload: the proxy at its address;
 *   <li>anything else: every proxy.
 * </ul>
 *
 * Visibility is what {@link ConfigLookup#visibleServices} says for the snapshots before and after
 * the change; it is computed once per distinct (proxy type, namespace, Sidecar) of a push.
 */
final class AffectedProxies {
  private final MeshSnapshot before;
  private final MeshSnapshot after;
  private final ConfigLookup beforeLookup;
  private final ConfigLookup afterLookup;
  private final Map<String, Set<String>> visibleByScope = new HashMap<>();

  AffectedProxies(MeshSnapshot before, MeshSnapshot after) {
    this.before = before;
    this.after = after;
    this.beforeLookup = new ConfigLookup(before);
    this.afterLookup = new ConfigLookup(after);
  }

  /** Whether any of the changes concerns the proxy. */
  boolean affects(ProxyNode proxy, Set<ConfigKey> changes) {
    for (ConfigKey c : changes) {
      if (affects(proxy, c)) {
        return true;
      }
    }
    return false;
  }

  boolean affects(ProxyNode proxy, ConfigKey c) {
    boolean router = proxy.type() == ProxyNode.Type.ROUTER;
    String root = after.rootNamespace();
    return switch (c.kind()) {
      case SERVICE -> c.namespace().equals(proxy.namespace()) || sees(proxy, c.name());
      case VIRTUAL_SERVICE -> router || seesAny(proxy, c);
      case DESTINATION_RULE -> seesAny(proxy, c);
      case GATEWAY -> router;
      case SIDECAR ->
          c.namespace().equals(root) && c.selectors().isEmpty()
              || c.namespace().equals(proxy.namespace()) && selects(c, proxy);
      // clients' automatic mutual TLS follows the namespace-wide mode of the services they see
      case PEER_AUTHENTICATION ->
          c.namespace().equals(root)
              || c.namespace().equals(proxy.namespace())
              || seesNamespace(proxy, c.namespace());
      // a policy in the root namespace applies to matching workloads of every namespace
      case AUTHORIZATION_POLICY, REQUEST_AUTHENTICATION ->
          (c.namespace().equals(root) || c.namespace().equals(proxy.namespace()))
              && selects(c, proxy);
      case WORKLOAD -> c.name().equals(proxy.ip());
      case MESH -> true;
    };
  }

  /** Whether a Sidecar (before or after the change) applies to the proxy's workload. */
  private boolean selects(ConfigKey c, ProxyNode proxy) {
    if (c.selectors().isEmpty()) {
      return true;
    }
    for (MeshSnapshot m : new MeshSnapshot[] {before, after}) {
      Workload w = m.workloads().get(proxy.ip());
      Map<String, String> labels = w != null ? w.labels() : proxy.labels();
      for (Map<String, String> selector : c.selectors()) {
        if (selector.entrySet().stream()
            .allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the proxy can see a service of {@code namespace}, before or after the change. */
  private boolean seesNamespace(ProxyNode proxy, String namespace) {
    Set<String> visible = visible(proxy);
    for (MeshSnapshot m : new MeshSnapshot[] {before, after}) {
      for (MeshService s : m.services().values()) {
        if (s.namespace().equals(namespace) && visible.contains(s.hostname())) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean sees(ProxyNode proxy, String host) {
    return visible(proxy).contains(host);
  }

  private boolean seesAny(ProxyNode proxy, ConfigKey c) {
    Set<String> visible = visible(proxy);
    for (String h : c.hosts()) {
      for (MeshSnapshot m : new MeshSnapshot[] {before, after}) {
        String resolved = m.resolveHost(h, c.namespace());
        if (resolved == null) {
          continue;
        }
        if (!resolved.contains("*")) {
          if (visible.contains(resolved)) {
            return true;
          }
        } else {
          for (String v : visible) {
            if (ConfigLookup.hostMatches(resolved, v)) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  /** Hosts the proxy can see before or after the change. */
  Set<String> visible(ProxyNode proxy) {
    String key = scope(beforeLookup, proxy) + '\u0000' + scope(afterLookup, proxy);
    return visibleByScope.computeIfAbsent(
        key,
        k -> {
          Set<String> out = new HashSet<>();
          for (MeshService s : beforeLookup.visibleServices(proxy)) {
            out.add(s.hostname());
          }
          for (MeshService s : afterLookup.visibleServices(proxy)) {
            out.add(s.hostname());
          }
          return out;
        });
  }

  /** What visibility depends on: proxy type, namespace and the Sidecar that applies. */
  private static String scope(ConfigLookup lookup, ProxyNode proxy) {
    if (proxy.type() == ProxyNode.Type.ROUTER) {
      return "router";
    }
    ConfigEntry<Sidecar> sc = lookup.sidecar(proxy);
    return proxy.type() + "/" + proxy.namespace() + "/" + (sc == null ? "" : sc.key());
  }
}
