package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.Durations;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.Workload;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetry;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code RouteTranslator} turns VirtualService {@code http} routes into Envoy routes for one proxy
 * and listener port: matches (see {@link HttpMatches}) filtered by port, source labels, source
 * namespace and gateway; weighted destinations with subsets and per-destination headers; timeouts,
 * retries (Istio's default policy when none is given), mirrors, rewrites, redirects, direct
 * responses, header operations, fault injection and CORS. Translation of a VirtualService stops
 * after its first catch-all route, as in Istio.
 */
final class RouteTranslator {
  static final String DEFAULT_RETRY_ON =
      "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

  private final MeshSnapshot mesh;
  private final boolean proxyless;
  private final Map<String, String> proxyLabels;
  private final String proxyNamespace;
  private final Set<String> gateways;
  private boolean tls;

  /**
   * @param gateways the names a route's {@code match.gateways} is compared with: {@code mesh} for
   *     sidecars, {@code ns/name} of the Gateway for gateway proxies
   */
  RouteTranslator(MeshSnapshot mesh, ProxyNode proxy, Set<String> gateways) {
    this.mesh = mesh;
    this.proxyless = proxy.type() == ProxyNode.Type.PROXYLESS_GRPC;
    Workload w = mesh.workloads().get(proxy.ip());
    this.proxyLabels = w != null ? w.labels() : proxy.labels();
    this.proxyNamespace = proxy.namespace();
    this.gateways = gateways;
  }

  /** Routes built next are served on a listener terminating TLS (affects redirect schemes). */
  RouteTranslator tls(boolean terminatesTls) {
    this.tls = terminatesTls;
    return this;
  }

  /** Default route to the service's own cluster. */
  Route defaultRoute(String host, int port) {
    RouteAction.Builder a =
        RouteAction.newBuilder()
            .setCluster(Names.outboundCluster(port, null, host))
            .setTimeout(Durations.millis(0))
            .setMaxStreamDuration(
                RouteAction.MaxStreamDuration.newBuilder()
                    .setMaxStreamDuration(Durations.millis(0))
                    .setGrpcTimeoutHeaderMax(Durations.millis(0)));
    if (!proxyless) {
      a.setRetryPolicy(retryPolicy(null));
    }
    return Route.newBuilder()
        .setName("default")
        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setRoute(a)
        .build();
  }

  /** Routes of a VirtualService for traffic arriving on {@code port}. */
  List<Route> routes(ConfigEntry<VirtualService> vs, int port) {
    List<Route> out = new ArrayList<>();
    List<HTTPRoute> http = vs.spec().getHttp() == null ? List.of() : vs.spec().getHttp();
    for (HTTPRoute r : http) {
      if (r.getDelegate() != null) {
        continue; // an unresolved delegate (not found or conflicting): Istio drops the route
      }
      boolean catchAll = r.getMatch() == null || r.getMatch().isEmpty();
      List<HTTPMatchRequest> matches = catchAll ? Collections.singletonList(null) : r.getMatch();
      for (HTTPMatchRequest m : matches) {
        if (!applies(m, port, vs.namespace())) {
          continue;
        }
        Route route = route(vs, r, m, port);
        out.add(route);
        if (HttpMatches.isCatchAll(route)) {
          catchAll = true;
          break;
        }
      }
      if (catchAll) {
        break;
      }
    }
    return out;
  }

  private boolean applies(HTTPMatchRequest m, int port, String vsNamespace) {
    if (m == null) {
      return true;
    }
    if (m.getPort() != null && m.getPort() != 0 && m.getPort().intValue() != port) {
      return false;
    }
    if (m.getGateways() != null && !m.getGateways().isEmpty()) {
      return m.getGateways().stream()
          .anyMatch(
              g ->
                  gateways.contains(
                      g.equals("mesh") || g.contains("/") ? g : vsNamespace + "/" + g));
    }
    if (m.getSourceLabels() != null
        && !m.getSourceLabels().entrySet().stream()
            .allMatch(e -> e.getValue().equals(proxyLabels.get(e.getKey())))) {
      return false;
    }
    return m.getSourceNamespace() == null
        || m.getSourceNamespace().isEmpty()
        || m.getSourceNamespace().equals(proxyNamespace);
  }

  private Route route(ConfigEntry<VirtualService> vs, HTTPRoute r, HTTPMatchRequest m, int port) {
    Route.Builder b = Route.newBuilder().setMatch(HttpMatches.match(m));
    String name = r.getName() == null ? "" : r.getName();
    if (m != null && m.getName() != null && !m.getName().isEmpty()) {
      name = name + "." + m.getName();
    }
    if (!name.isEmpty()) {
      b.setName(name);
    }
    if (m != null && m.getStatPrefix() != null && !m.getStatPrefix().isEmpty()) {
      b.setStatPrefix(m.getStatPrefix());
    }
    RoutePolicies.HeaderOps ops = RoutePolicies.headers(r.getHeaders());
    b.addAllRequestHeadersToAdd(ops.requestAdd())
        .addAllRequestHeadersToRemove(ops.requestRemove())
        .addAllResponseHeadersToAdd(ops.responseAdd())
        .addAllResponseHeadersToRemove(ops.responseRemove());
    if (r.getRedirect() != null) {
      b.setRedirect(RoutePolicies.redirect(r.getRedirect(), port, tls));
    } else if (r.getDirectResponse() != null) {
      b.setDirectResponse(RoutePolicies.directResponse(r.getDirectResponse()));
    } else if (r.getRoute() != null && !r.getRoute().isEmpty()) {
      b.setRoute(action(vs, r, port, ops.authority(), b));
    }
    if (r.getFault() != null) {
      b.putTypedPerFilterConfig(
          RoutePolicies.FAULT_FILTER, Any.pack(RoutePolicies.fault(r.getFault())));
    }
    if (r.getCorsPolicy() != null && !proxyless) {
      // grpc-xds rejects per-route config of filters it does not know.
      b.putTypedPerFilterConfig(
          RoutePolicies.CORS_FILTER, Any.pack(RoutePolicies.cors(r.getCorsPolicy())));
    }
    return b.build();
  }

  private RouteAction action(
      ConfigEntry<VirtualService> vs, HTTPRoute r, int port, String authority, Route.Builder rb) {
    RouteAction.Builder a = RouteAction.newBuilder();
    var timeout = r.getTimeout() != null ? Durations.parse(r.getTimeout()) : Durations.millis(0);
    a.setTimeout(timeout);
    RouteAction.MaxStreamDuration.Builder msd =
        RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(timeout);
    if (!proxyless) {
      msd.setGrpcTimeoutHeaderMax(timeout);
    }
    a.setMaxStreamDuration(msd);
    if (r.getRewrite() != null) {
      var rw = r.getRewrite();
      if (rw.getUriRegexRewrite() != null && rw.getUriRegexRewrite().getMatch() != null) {
        a.setRegexRewrite(
            RegexMatchAndSubstitute.newBuilder()
                .setPattern(RegexMatcher.newBuilder().setRegex(rw.getUriRegexRewrite().getMatch()))
                .setSubstitution(
                    rw.getUriRegexRewrite().getRewrite() == null
                        ? ""
                        : rw.getUriRegexRewrite().getRewrite()));
      } else if (rw.getUri() != null && !rw.getUri().isEmpty()) {
        a.setPrefixRewrite(rw.getUri());
      }
      if (rw.getAuthority() != null && !rw.getAuthority().isEmpty()) {
        authority = rw.getAuthority();
      }
    }
    if (!authority.isEmpty()) {
      a.setHostRewriteLiteral(authority);
    }
    mirrors(vs, r, port, a);
    List<HTTPRouteDestination> dests = r.getRoute();
    if (dests.size() == 1) {
      HTTPRouteDestination d = dests.get(0);
      a.setCluster(cluster(vs, d.getDestination(), port));
      RoutePolicies.HeaderOps ops = RoutePolicies.headers(d.getHeaders());
      rb.addAllRequestHeadersToAdd(ops.requestAdd())
          .addAllRequestHeadersToRemove(ops.requestRemove())
          .addAllResponseHeadersToAdd(ops.responseAdd())
          .addAllResponseHeadersToRemove(ops.responseRemove());
      if (!ops.authority().isEmpty() && !a.hasHostRewriteLiteral()) {
        a.setHostRewriteLiteral(ops.authority());
      }
    } else {
      WeightedCluster.Builder w = WeightedCluster.newBuilder();
      for (HTTPRouteDestination d : dests) {
        int weight = d.getWeight() == null ? 0 : d.getWeight();
        if (weight == 0) {
          continue;
        }
        RoutePolicies.HeaderOps ops = RoutePolicies.headers(d.getHeaders());
        WeightedCluster.ClusterWeight.Builder cw =
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(cluster(vs, d.getDestination(), port))
                .setWeight(UInt32Value.of(weight))
                .addAllRequestHeadersToAdd(ops.requestAdd())
                .addAllRequestHeadersToRemove(ops.requestRemove())
                .addAllResponseHeadersToAdd(ops.responseAdd())
                .addAllResponseHeadersToRemove(ops.responseRemove());
        if (!ops.authority().isEmpty()) {
          cw.setHostRewriteLiteral(ops.authority());
        }
        w.addClusters(cw);
      }
      a.setWeightedClusters(w);
    }
    if (r.getRetries() != null || !proxyless) {
      RetryPolicy p = retryPolicy(r.getRetries());
      if (p != null) {
        a.setRetryPolicy(p);
      }
    }
    return a.build();
  }

  /** Istio's conversion: no policy for 0 attempts, numeric retryOn entries become status codes. */
  private RetryPolicy retryPolicy(HTTPRetry rt) {
    int attempts = rt == null || rt.getAttempts() == null ? 2 : rt.getAttempts();
    if (attempts <= 0) {
      return null;
    }
    RetryPolicy.Builder p = RetryPolicy.newBuilder().setNumRetries(UInt32Value.of(attempts));
    if (rt == null || rt.getRetryOn() == null || rt.getRetryOn().isBlank()) {
      p.setRetryOn(DEFAULT_RETRY_ON).addRetriableStatusCodes(503);
    } else {
      List<String> on = new ArrayList<>();
      for (String part : rt.getRetryOn().split(",")) {
        String s = part.trim();
        if (s.matches("\\d+")) {
          p.addRetriableStatusCodes(Integer.parseInt(s));
        } else if (!s.isEmpty()) {
          on.add(s);
        }
      }
      if (p.getRetriableStatusCodesCount() > 0 && !on.contains("retriable-status-codes")) {
        on.add("retriable-status-codes");
      }
      p.setRetryOn(String.join(",", on));
    }
    if (rt != null && rt.getPerTryTimeout() != null) {
      p.setPerTryTimeout(Durations.parse(rt.getPerTryTimeout()));
    }
    if (rt != null && rt.getBackoff() != null) {
      p.setRetryBackOff(
          RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(Durations.parse(rt.getBackoff())));
    }
    if (!proxyless && (rt == null || !Boolean.FALSE.equals(rt.getRetryIgnorePreviousHosts()))) {
      p.addRetryHostPredicate(
              RetryPolicy.RetryHostPredicate.newBuilder()
                  .setName("envoy.retry_host_predicates.previous_hosts")
                  .setTypedConfig(
                      Any.pack(
                          io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3
                              .PreviousHostsPredicate.getDefaultInstance())))
          .setHostSelectionRetryMaxAttempts(5);
    }
    return p.build();
  }

  private void mirrors(
      ConfigEntry<VirtualService> vs, HTTPRoute r, int port, RouteAction.Builder a) {
    List<Destination> mirrors = new ArrayList<>();
    List<Double> pcts = new ArrayList<>();
    if (r.getMirror() != null) {
      mirrors.add(r.getMirror());
      pcts.add(percent(r.getMirrorPercentage(), r.getMirrorPercent()));
    }
    if (r.getMirrors() != null) {
      r.getMirrors()
          .forEach(
              mp -> {
                if (mp.getDestination() != null) {
                  mirrors.add(mp.getDestination());
                  pcts.add(percent(mp.getPercentage(), null));
                }
              });
    }
    for (int i = 0; i < mirrors.size(); i++) {
      if (pcts.get(i) <= 0) {
        continue; // an explicit 0% disables the mirror
      }
      a.addRequestMirrorPolicies(
          RouteAction.RequestMirrorPolicy.newBuilder()
              .setCluster(cluster(vs, mirrors.get(i), port))
              .setRuntimeFraction(
                  RuntimeFractionalPercent.newBuilder()
                      .setDefaultValue(RoutePolicies.fraction(pcts.get(i)))));
    }
  }

  private static double percent(Percent pct, Integer legacy) {
    if (pct != null && pct.getValue() != null) {
      return pct.getValue();
    }
    return legacy != null ? legacy : 100.0;
  }

  /** Cluster name for a VirtualService destination. */
  String cluster(ConfigEntry<VirtualService> vs, Destination d, int port) {
    return destinationCluster(mesh, vs.namespace(), d, port);
  }

  /** Istio's rule: the destination's port, else the service's only port, else the listener port. */
  static String destinationCluster(MeshSnapshot mesh, String namespace, Destination d, int port) {
    String host = mesh.resolveHost(d.getHost(), namespace);
    int p = port;
    if (d.getPort() != null && d.getPort().getNumber() != null) {
      p = d.getPort().getNumber().intValue();
    } else {
      MeshService svc = mesh.services().get(host);
      if (svc != null && svc.ports().size() == 1) {
        p = svc.ports().get(0).port();
      }
    }
    return Names.outboundCluster(p, d.getSubset(), host);
  }
}
