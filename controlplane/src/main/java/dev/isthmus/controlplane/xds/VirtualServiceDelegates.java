package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.fabric8.istio.api.api.networking.v1alpha3.Delegate;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code VirtualServiceDelegates} expands delegating VirtualServices as Istio does: an {@code http}
 * route of a root VirtualService (one with hosts) that names a {@code delegate} is replaced by the
 * delegate's routes, each merged under the root route. A delegate route's match must be narrower
 * than one of the root's matches (a prefix under the root's prefix, the same exact path, no regex
 * on both sides, equal headers); otherwise that delegate route is dropped. Fields the delegate
 * leaves unset (timeout, retries, rewrite, fault, mirror, CORS, headers) are inherited from the
 * root. Delegates are VirtualServices without hosts and never bind on their own; their destination
 * hosts are resolved in the delegate's namespace, and a delegate not exported to the root's
 * namespace is ignored (with the root route that names it).
 */
final class VirtualServiceDelegates {
  private static final Logger LOG = LoggerFactory.getLogger(VirtualServiceDelegates.class);

  private VirtualServiceDelegates() {}

  /** The root VirtualServices, in input order, with delegated routes merged in. */
  static List<ConfigEntry<VirtualService>> expand(MeshSnapshot mesh) {
    List<ConfigEntry<VirtualService>> all = mesh.virtualServices();
    Map<String, ConfigEntry<VirtualService>> delegates = new HashMap<>();
    boolean anyRoot = false;
    for (ConfigEntry<VirtualService> e : all) {
      if (e.spec().getHosts() == null || e.spec().getHosts().isEmpty()) {
        delegates.put(e.key(), e);
      } else if (isRoot(e.spec())) {
        anyRoot = true;
      }
    }
    if (!anyRoot && delegates.isEmpty()) {
      return all;
    }
    List<ConfigEntry<VirtualService>> out = new ArrayList<>(all.size());
    for (ConfigEntry<VirtualService> e : all) {
      if (e.spec().getHosts() == null || e.spec().getHosts().isEmpty()) {
        continue;
      }
      out.add(isRoot(e.spec()) ? merge(mesh, e, delegates) : e);
    }
    return out;
  }

  /** {@code exportTo}: unset or {@code *} is public, {@code .} the delegate's own namespace. */
  private static boolean exportedTo(ConfigEntry<VirtualService> delegate, String namespace) {
    List<String> to = delegate.spec().getExportTo();
    if (to == null || to.isEmpty()) {
      return true;
    }
    return to.stream()
        .anyMatch(
            e ->
                e.equals("*")
                    || e.equals(namespace)
                    || (e.equals(".") && delegate.namespace().equals(namespace)));
  }

  private static boolean isRoot(VirtualService vs) {
    return vs.getHttp() != null && vs.getHttp().stream().anyMatch(r -> r.getDelegate() != null);
  }

  private static ConfigEntry<VirtualService> merge(
      MeshSnapshot mesh,
      ConfigEntry<VirtualService> root,
      Map<String, ConfigEntry<VirtualService>> delegates) {
    List<HTTPRoute> merged = new ArrayList<>();
    for (HTTPRoute r : root.spec().getHttp()) {
      Delegate d = r.getDelegate();
      if (d == null) {
        merged.add(r);
        continue;
      }
      String ns =
          d.getNamespace() == null || d.getNamespace().isEmpty()
              ? root.namespace()
              : d.getNamespace();
      ConfigEntry<VirtualService> delegate = delegates.get(ns + "/" + d.getName());
      if (delegate == null) {
        LOG.warn("delegate VirtualService {}/{} of {} not found", ns, d.getName(), root.key());
        continue;
      }
      if (!exportedTo(delegate, root.namespace())) {
        LOG.warn(
            "delegate VirtualService {} is not exported to {}", delegate.key(), root.namespace());
        continue;
      }
      List<HTTPRoute> sub =
          delegate.spec().getHttp() == null ? List.of() : delegate.spec().getHttp();
      for (HTTPRoute leaf : sub) {
        HTTPRoute m = mergeRoute(r, resolved(mesh, leaf, delegate.namespace()));
        if (m == null) {
          LOG.warn(
              "{}: route {} of delegate {} conflicts with the root's match; dropped",
              root.key(),
              leaf.getName(),
              delegate.key());
        } else {
          merged.add(m);
        }
      }
    }
    VirtualService spec = root.spec().toBuilder().withHttp(merged).build();
    return new ConfigEntry<>(root.namespace(), root.name(), spec);
  }

  /** A copy of the delegate route whose destination hosts are FQDNs in the delegate's namespace. */
  private static HTTPRoute resolved(MeshSnapshot mesh, HTTPRoute leaf, String ns) {
    HTTPRoute copy = leaf.toBuilder().build();
    if (copy.getRoute() != null) {
      copy.getRoute()
          .forEach(
              d -> {
                if (d.getDestination() != null) {
                  d.setDestination(fqdn(mesh, d.getDestination(), ns));
                }
              });
    }
    if (copy.getMirror() != null) {
      copy.setMirror(fqdn(mesh, copy.getMirror(), ns));
    }
    if (copy.getMirrors() != null) {
      copy.getMirrors()
          .forEach(
              m -> {
                if (m.getDestination() != null) {
                  m.setDestination(fqdn(mesh, m.getDestination(), ns));
                }
              });
    }
    return copy;
  }

  private static Destination fqdn(MeshSnapshot mesh, Destination d, String ns) {
    return d.toBuilder().withHost(mesh.resolveHost(d.getHost(), ns)).build();
  }

  /** Istio's mergeHTTPRoute: null when no delegate match fits under a root match. */
  static HTTPRoute mergeRoute(HTTPRoute root, HTTPRoute leaf) {
    List<HTTPMatchRequest> matches = mergeMatches(root.getMatch(), leaf.getMatch());
    if (matches == null) {
      return null;
    }
    HTTPRoute out = leaf.toBuilder().build();
    out.setMatch(matches);
    out.setName(joinName(root.getName(), leaf.getName()));
    out.setDelegate(null);
    if (out.getRewrite() == null) out.setRewrite(root.getRewrite());
    if (out.getDirectResponse() == null) out.setDirectResponse(root.getDirectResponse());
    if (out.getTimeout() == null) out.setTimeout(root.getTimeout());
    if (out.getRetries() == null) out.setRetries(root.getRetries());
    if (out.getFault() == null) out.setFault(root.getFault());
    if (out.getMirror() == null) out.setMirror(root.getMirror());
    if (out.getMirrorPercent() == null) out.setMirrorPercent(root.getMirrorPercent());
    if (out.getMirrorPercentage() == null) out.setMirrorPercentage(root.getMirrorPercentage());
    if (out.getCorsPolicy() == null) out.setCorsPolicy(root.getCorsPolicy());
    if (out.getMirrors() == null || out.getMirrors().isEmpty()) out.setMirrors(root.getMirrors());
    if (out.getHeaders() == null) out.setHeaders(root.getHeaders());
    return out;
  }

  private static String joinName(String root, String leaf) {
    if (leaf == null || leaf.isEmpty()) {
      return root;
    }
    return root == null || root.isEmpty() ? leaf : root + "-" + leaf;
  }

  private static List<HTTPMatchRequest> mergeMatches(
      List<HTTPMatchRequest> root, List<HTTPMatchRequest> leaf) {
    if (root == null || root.isEmpty()) {
      return leaf == null ? List.of() : leaf;
    }
    if (leaf == null || leaf.isEmpty()) {
      return root;
    }
    List<HTTPMatchRequest> out = new ArrayList<>();
    for (HTTPMatchRequest sub : leaf) {
      boolean found = false;
      for (HTTPMatchRequest r : root) {
        if (!conflicts(r, sub)) {
          out.add(mergeMatch(r, sub));
          found = true;
        }
      }
      if (!found) {
        return null;
      }
    }
    return out.isEmpty() ? null : out;
  }

  private static HTTPMatchRequest mergeMatch(HTTPMatchRequest root, HTTPMatchRequest leaf) {
    HTTPMatchRequest out = leaf.toBuilder().build();
    out.setName(joinName(root.getName(), leaf.getName()));
    if (out.getUri() == null) out.setUri(root.getUri());
    if (out.getScheme() == null) out.setScheme(root.getScheme());
    if (out.getMethod() == null) out.setMethod(root.getMethod());
    if (out.getAuthority() == null) out.setAuthority(root.getAuthority());
    out.setHeaders(union(root.getHeaders(), leaf.getHeaders()));
    out.setWithoutHeaders(union(root.getWithoutHeaders(), leaf.getWithoutHeaders()));
    out.setQueryParams(union(root.getQueryParams(), leaf.getQueryParams()));
    if (out.getPort() == null || out.getPort() == 0) out.setPort(root.getPort());
    out.setSourceLabels(union(root.getSourceLabels(), leaf.getSourceLabels()));
    if (out.getSourceNamespace() == null || out.getSourceNamespace().isEmpty()) {
      out.setSourceNamespace(root.getSourceNamespace());
    }
    if (out.getGateways() == null || out.getGateways().isEmpty()) {
      out.setGateways(root.getGateways());
    }
    if (out.getStatPrefix() == null || out.getStatPrefix().isEmpty()) {
      out.setStatPrefix(root.getStatPrefix());
    }
    return out;
  }

  private static <V> Map<String, V> union(Map<String, V> root, Map<String, V> leaf) {
    if ((root == null || root.isEmpty()) && (leaf == null || leaf.isEmpty())) {
      return leaf;
    }
    Map<String, V> m = new LinkedHashMap<>();
    if (root != null) m.putAll(root);
    if (leaf != null) m.putAll(leaf);
    return m;
  }

  private static boolean conflicts(HTTPMatchRequest root, HTTPMatchRequest leaf) {
    if (conflicts(root.getUri(), leaf.getUri())
        || conflicts(root.getScheme(), leaf.getScheme())
        || conflicts(root.getMethod(), leaf.getMethod())
        || conflicts(root.getAuthority(), leaf.getAuthority())
        || conflicts(root.getHeaders(), leaf.getHeaders())
        || conflicts(root.getWithoutHeaders(), leaf.getWithoutHeaders())
        || conflicts(root.getQueryParams(), leaf.getQueryParams())) {
      return true;
    }
    if (Boolean.TRUE.equals(root.getIgnoreUriCase())
        != Boolean.TRUE.equals(leaf.getIgnoreUriCase())) {
      return true;
    }
    long rp = root.getPort() == null ? 0 : root.getPort();
    long lp = leaf.getPort() == null ? 0 : leaf.getPort();
    if (rp > 0 && lp > 0 && rp != lp) {
      return true;
    }
    if (root.getSourceNamespace() != null
        && !root.getSourceNamespace().isEmpty()
        && !root.getSourceNamespace().equals(leaf.getSourceNamespace())) {
      return true;
    }
    if (leaf.getSourceLabels() != null && root.getSourceLabels() != null) {
      for (var e : leaf.getSourceLabels().entrySet()) {
        String v = root.getSourceLabels().get(e.getKey());
        if (v != null && !v.equals(e.getValue())) {
          return true;
        }
      }
    }
    List<String> rg = root.getGateways();
    List<String> lg = leaf.getGateways();
    return rg != null && !rg.isEmpty() && lg != null && !lg.isEmpty() && !rg.containsAll(lg);
  }

  private static boolean conflicts(Map<String, StringMatch> root, Map<String, StringMatch> leaf) {
    if (leaf == null) {
      return false;
    }
    for (var e : leaf.entrySet()) {
      if (conflicts(root == null ? null : root.get(e.getKey()), e.getValue())) {
        return true;
      }
    }
    return false;
  }

  /** Istio's stringMatchConflict: the leaf must be at least as narrow as the root. */
  static boolean conflicts(StringMatch root, StringMatch leaf) {
    if (root == null
        || leaf == null
        || root.getMatchType() == null
        || leaf.getMatchType() == null) {
      return false;
    }
    Object r = root.getMatchType();
    Object l = leaf.getMatchType();
    if (r instanceof StringMatchRegex || l instanceof StringMatchRegex) {
      return true;
    }
    if (r instanceof StringMatchExact re) {
      return !(l instanceof StringMatchExact le) || !Objects.equals(re.getExact(), le.getExact());
    }
    if (r instanceof StringMatchPrefix rp) {
      String prefix = rp.getPrefix() == null ? "" : rp.getPrefix();
      if (l instanceof StringMatchPrefix lp) {
        return lp.getPrefix() == null || !lp.getPrefix().startsWith(prefix);
      }
      if (l instanceof StringMatchExact le) {
        return le.getExact() == null || !le.getExact().startsWith(prefix);
      }
    }
    return true;
  }
}
