package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.Durations;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortGrpcStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectPort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Headers;
import io.fabric8.istio.api.api.networking.v1alpha3.HeadersHeaderOperations;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code RouteTranslator} turns VirtualService {@code http} routes into Envoy routes: matches on
 * uri, headers, method, authority and query parameters; weighted destinations with subsets;
 * timeouts, retries, fault injection, mirroring, rewrites, redirects and header operations.
 */
final class RouteTranslator {
  static final String FAULT_FILTER = "envoy.filters.http.fault";
  static final String DEFAULT_RETRY_ON =
      "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

  private final MeshSnapshot mesh;
  private final boolean proxyless;

  RouteTranslator(MeshSnapshot mesh, boolean proxyless) {
    this.mesh = mesh;
    this.proxyless = proxyless;
  }

  /** Default route to the service's own cluster. */
  Route defaultRoute(String host, int port) {
    return Route.newBuilder()
        .setName("default")
        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setRoute(
            RouteAction.newBuilder()
                .setCluster(Names.outboundCluster(port, null, host))
                .setTimeout(Durations.millis(0))
                .setMaxStreamDuration(
                    RouteAction.MaxStreamDuration.newBuilder()
                        .setMaxStreamDuration(Durations.millis(0))
                        .setGrpcTimeoutHeaderMax(Durations.millis(0))))
        .build();
  }

  /** Routes of a VirtualService for traffic arriving on {@code port}. */
  List<Route> routes(ConfigEntry<VirtualService> vs, int port) {
    List<Route> out = new ArrayList<>();
    List<HTTPRoute> http = vs.spec().getHttp() == null ? List.of() : vs.spec().getHttp();
    for (HTTPRoute r : http) {
      List<HTTPMatchRequest> matches =
          r.getMatch() == null || r.getMatch().isEmpty()
              ? java.util.Collections.singletonList(null)
              : r.getMatch();
      for (HTTPMatchRequest m : matches) {
        if (m != null && m.getPort() != null && m.getPort().intValue() != port) {
          continue;
        }
        out.add(route(vs, r, m, port));
      }
    }
    return out;
  }

  private Route route(ConfigEntry<VirtualService> vs, HTTPRoute r, HTTPMatchRequest m, int port) {
    Route.Builder b = Route.newBuilder().setMatch(match(m));
    String name =
        r.getName() != null ? r.getName() : m != null && m.getName() != null ? m.getName() : "";
    if (m != null && m.getName() != null && r.getName() != null) {
      name = r.getName() + "." + m.getName();
    }
    if (!name.isEmpty()) {
      b.setName(name);
    }
    if (r.getRedirect() != null) {
      b.setRedirect(redirect(r));
    } else if (r.getRoute() != null && !r.getRoute().isEmpty()) {
      b.setRoute(action(vs, r, port));
    }
    headers(r.getHeaders(), b);
    if (r.getFault() != null) {
      b.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(fault(r)));
    }
    return b.build();
  }

  static RouteMatch match(HTTPMatchRequest m) {
    RouteMatch.Builder b = RouteMatch.newBuilder();
    if (m == null || m.getUri() == null) {
      b.setPrefix("/");
    } else {
      var t = m.getUri().getMatchType();
      if (t instanceof StringMatchExact e) {
        b.setPath(e.getExact());
      } else if (t instanceof StringMatchPrefix p) {
        b.setPrefix(p.getPrefix());
      } else if (t instanceof StringMatchRegex re) {
        b.setSafeRegex(RegexMatcher.newBuilder().setRegex(re.getRegex()));
      } else {
        b.setPrefix("/");
      }
      if (Boolean.TRUE.equals(m.getIgnoreUriCase())) {
        b.setCaseSensitive(BoolValue.of(false));
      }
    }
    if (m == null) {
      return b.build();
    }
    if (m.getHeaders() != null) {
      new TreeMap<>(m.getHeaders()).forEach((k, v) -> b.addHeaders(header(k, v, false)));
    }
    if (m.getWithoutHeaders() != null) {
      new TreeMap<>(m.getWithoutHeaders()).forEach((k, v) -> b.addHeaders(header(k, v, true)));
    }
    if (m.getMethod() != null) {
      b.addHeaders(header(":method", m.getMethod(), false));
    }
    if (m.getAuthority() != null) {
      b.addHeaders(header(":authority", m.getAuthority(), false));
    }
    if (m.getScheme() != null) {
      b.addHeaders(header(":scheme", m.getScheme(), false));
    }
    if (m.getQueryParams() != null) {
      new TreeMap<>(m.getQueryParams())
          .forEach(
              (k, v) ->
                  b.addQueryParameters(
                      QueryParameterMatcher.newBuilder().setName(k).setStringMatch(string(v))));
    }
    return b.build();
  }

  private static HeaderMatcher header(String name, StringMatch v, boolean invert) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name).setInvertMatch(invert);
    if (v == null || v.getMatchType() == null) {
      h.setPresentMatch(true);
    } else {
      h.setStringMatch(string(v));
    }
    return h.build();
  }

  static StringMatcher string(StringMatch v) {
    var t = v == null ? null : v.getMatchType();
    if (t instanceof StringMatchExact e) {
      return StringMatcher.newBuilder().setExact(e.getExact()).build();
    } else if (t instanceof StringMatchPrefix p) {
      return StringMatcher.newBuilder().setPrefix(p.getPrefix()).build();
    } else if (t instanceof StringMatchRegex re) {
      return StringMatcher.newBuilder()
          .setSafeRegex(RegexMatcher.newBuilder().setRegex(re.getRegex()))
          .build();
    }
    return StringMatcher.newBuilder().setPrefix("").build();
  }

  private RouteAction action(ConfigEntry<VirtualService> vs, HTTPRoute r, int port) {
    RouteAction.Builder a = RouteAction.newBuilder();
    List<HTTPRouteDestination> dests = r.getRoute();
    if (dests.size() == 1) {
      a.setCluster(cluster(vs, dests.get(0).getDestination(), port));
    } else {
      WeightedCluster.Builder w = WeightedCluster.newBuilder();
      for (HTTPRouteDestination d : dests) {
        int weight = d.getWeight() == null ? 0 : d.getWeight();
        if (weight == 0) {
          continue;
        }
        WeightedCluster.ClusterWeight.Builder cw =
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(cluster(vs, d.getDestination(), port))
                .setWeight(UInt32Value.of(weight));
        HeadersHeaderOperations req = d.getHeaders() == null ? null : d.getHeaders().getRequest();
        if (req != null) {
          cw.addAllRequestHeadersToAdd(ops(req));
          if (req.getRemove() != null) {
            cw.addAllRequestHeadersToRemove(req.getRemove());
          }
        }
        w.addClusters(cw);
      }
      a.setWeightedClusters(w);
    }
    var timeout = r.getTimeout() != null ? Durations.parse(r.getTimeout()) : Durations.millis(0);
    a.setTimeout(timeout)
        .setMaxStreamDuration(
            RouteAction.MaxStreamDuration.newBuilder()
                .setMaxStreamDuration(timeout)
                .setGrpcTimeoutHeaderMax(timeout));
    if (r.getRetries() != null) {
      var rt = r.getRetries();
      int attempts = rt.getAttempts() == null ? 2 : rt.getAttempts();
      if (attempts > 0) {
        RetryPolicy.Builder p =
            RetryPolicy.newBuilder()
                .setRetryOn(rt.getRetryOn() != null ? rt.getRetryOn() : DEFAULT_RETRY_ON)
                .setNumRetries(UInt32Value.of(attempts));
        if (rt.getPerTryTimeout() != null) {
          p.setPerTryTimeout(Durations.parse(rt.getPerTryTimeout()));
        }
        if (rt.getBackoff() != null) {
          p.setRetryBackOff(
              RetryPolicy.RetryBackOff.newBuilder()
                  .setBaseInterval(Durations.parse(rt.getBackoff())));
        }
        if (!proxyless && !Boolean.FALSE.equals(rt.getRetryIgnorePreviousHosts())) {
          p.addRetryHostPredicate(
              RetryPolicy.RetryHostPredicate.newBuilder()
                  .setName("envoy.retry_host_predicates.previous_hosts")
                  .setTypedConfig(
                      Any.pack(
                          io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3
                              .PreviousHostsPredicate.getDefaultInstance())));
          p.setHostSelectionRetryMaxAttempts(5);
        }
        a.setRetryPolicy(p);
      }
    }
    List<Destination> mirrors = new ArrayList<>();
    List<Percent> mirrorPct = new ArrayList<>();
    if (r.getMirror() != null) {
      mirrors.add(r.getMirror());
      mirrorPct.add(r.getMirrorPercentage());
    }
    if (r.getMirrors() != null) {
      r.getMirrors()
          .forEach(
              mp -> {
                mirrors.add(mp.getDestination());
                mirrorPct.add(mp.getPercentage());
              });
    }
    for (int i = 0; i < mirrors.size(); i++) {
      Percent pct = mirrorPct.get(i);
      double v = pct == null || pct.getValue() == null ? 100.0 : pct.getValue();
      a.addRequestMirrorPolicies(
          RouteAction.RequestMirrorPolicy.newBuilder()
              .setCluster(cluster(vs, mirrors.get(i), port))
              .setRuntimeFraction(
                  RuntimeFractionalPercent.newBuilder().setDefaultValue(fraction(v))));
    }
    if (r.getRewrite() != null) {
      if (r.getRewrite().getUri() != null) {
        a.setPrefixRewrite(r.getRewrite().getUri());
      }
      if (r.getRewrite().getAuthority() != null) {
        a.setHostRewriteLiteral(r.getRewrite().getAuthority());
      }
    }
    return a.build();
  }

  /** Cluster name for a VirtualService destination. */
  String cluster(ConfigEntry<VirtualService> vs, Destination d, int port) {
    String host = mesh.resolveHost(d.getHost(), vs.namespace());
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

  static FractionalPercent fraction(double percent) {
    return FractionalPercent.newBuilder()
        .setNumerator((int) Math.round(percent * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  private static RedirectAction redirect(HTTPRoute r) {
    var rd = r.getRedirect();
    RedirectAction.Builder b = RedirectAction.newBuilder();
    if (rd.getUri() != null) {
      b.setPathRedirect(rd.getUri());
    }
    if (rd.getAuthority() != null) {
      b.setHostRedirect(rd.getAuthority());
    }
    if (rd.getScheme() != null) {
      b.setSchemeRedirect(rd.getScheme());
    }
    if (rd.getRedirectPort() instanceof HTTPRedirectPort p && p.getPort() != null) {
      b.setPortRedirect(p.getPort().intValue());
    }
    int code = rd.getRedirectCode() == null ? 301 : rd.getRedirectCode().intValue();
    b.setResponseCode(
        switch (code) {
          case 302 -> RedirectAction.RedirectResponseCode.FOUND;
          case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
          case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
          case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
          default -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
        });
    return b.build();
  }

  private static void headers(Headers h, Route.Builder b) {
    if (h == null) {
      return;
    }
    if (h.getRequest() != null) {
      b.addAllRequestHeadersToAdd(ops(h.getRequest()));
      if (h.getRequest().getRemove() != null) {
        b.addAllRequestHeadersToRemove(h.getRequest().getRemove());
      }
    }
    if (h.getResponse() != null) {
      b.addAllResponseHeadersToAdd(ops(h.getResponse()));
      if (h.getResponse().getRemove() != null) {
        b.addAllResponseHeadersToRemove(h.getResponse().getRemove());
      }
    }
  }

  private static List<HeaderValueOption> ops(HeadersHeaderOperations o) {
    List<HeaderValueOption> out = new ArrayList<>();
    add(out, o.getSet(), HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    add(out, o.getAdd(), HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
    return out;
  }

  private static void add(
      List<HeaderValueOption> out, Map<String, String> m, HeaderValueOption.HeaderAppendAction a) {
    if (m == null) {
      return;
    }
    new TreeMap<>(m)
        .forEach(
            (k, v) ->
                out.add(
                    HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey(k).setValue(v))
                        .setAppendAction(a)
                        .build()));
  }

  private static HTTPFault fault(HTTPRoute r) {
    HTTPFault.Builder f = HTTPFault.newBuilder();
    var delay = r.getFault().getDelay();
    if (delay != null && delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fd) {
      double pct =
          delay.getPercentage() != null && delay.getPercentage().getValue() != null
              ? delay.getPercentage().getValue()
              : delay.getPercent() != null ? delay.getPercent() : 100.0;
      f.setDelay(
          FaultDelay.newBuilder()
              .setFixedDelay(Durations.parse(fd.getFixedDelay()))
              .setPercentage(fraction(pct)));
    }
    var abort = r.getFault().getAbort();
    if (abort != null) {
      double pct =
          abort.getPercentage() != null && abort.getPercentage().getValue() != null
              ? abort.getPercentage().getValue()
              : 100.0;
      FaultAbort.Builder ab = FaultAbort.newBuilder().setPercentage(fraction(pct));
      if (abort.getErrorType() instanceof HTTPFaultInjectionAbortHttpStatus hs) {
        ab.setHttpStatus(hs.getHttpStatus());
      } else if (abort.getErrorType() instanceof HTTPFaultInjectionAbortGrpcStatus gs) {
        ab.setGrpcStatus(grpcCode(gs.getGrpcStatus()));
      }
      f.setAbort(ab);
    }
    return f.build();
  }

  private static int grpcCode(String status) {
    try {
      return io.grpc.Status.Code.valueOf(status).value();
    } catch (IllegalArgumentException | NullPointerException e) {
      return io.grpc.Status.Code.UNKNOWN.value();
    }
  }
}
