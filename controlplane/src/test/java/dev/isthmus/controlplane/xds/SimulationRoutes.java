package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.isthmus.controlplane.xds.Simulation.Call;
import dev.isthmus.controlplane.xds.Simulation.Cors;
import dev.isthmus.controlplane.xds.Simulation.Direct;
import dev.isthmus.controlplane.xds.Simulation.Fault;
import dev.isthmus.controlplane.xds.Simulation.Outcome;
import dev.isthmus.controlplane.xds.Simulation.Redirect;
import dev.isthmus.controlplane.xds.Simulation.Retry;
import dev.isthmus.controlplane.xds.Simulation.Upstream;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code SimulationRoutes} is Envoy's HTTP routing over one route configuration: the virtual host
 * for the {@code Host} header (exact, then the longest suffix wildcard, then the longest prefix
 * wildcard, then {@code *}), its TLS requirement, the first route whose path, header and query
 * matchers accept the request, and what that route does. Per-filter configuration (fault, CORS) is
 * looked up on the route, then the virtual host, then the route configuration, and counts only when
 * the connection manager runs that filter.
 */
final class SimulationRoutes {
  private SimulationRoutes() {}

  static Outcome route(
      ProxyResources r,
      String listener,
      HttpConnectionManager hcm,
      RouteConfiguration rc,
      Call call) {
    VirtualHost vh = virtualHost(rc, call.host());
    if (vh == null) {
      return Outcome.error(listener, "no virtual host for " + call.host());
    }
    if (vh.getRequireTls() != VirtualHost.TlsRequirementType.NONE && call.sni() == null) {
      return new Outcome(
          listener,
          vh.getName(),
          null,
          null,
          Map.of(),
          new Redirect(301, "https://" + call.host() + call.path()),
          null,
          null,
          null,
          null,
          null,
          null,
          Map.of(),
          null,
          Map.of(),
          null);
    }
    for (Route route : vh.getRoutesList()) {
      if (matches(route.getMatch(), call)) {
        return outcome(r, listener, hcm, rc, vh, route, call);
      }
    }
    return Outcome.error(listener, "no route of " + vh.getName() + " matches " + call.path());
  }

  private static Outcome outcome(
      ProxyResources r,
      String listener,
      HttpConnectionManager hcm,
      RouteConfiguration rc,
      VirtualHost vh,
      Route route,
      Call call) {
    String cluster = null;
    Map<String, Integer> weighted = new LinkedHashMap<>();
    Map<String, Double> mirrors = new LinkedHashMap<>();
    String path = null;
    String host = null;
    String timeout = null;
    Retry retry = null;
    if (route.hasRoute()) {
      RouteAction a = route.getRoute();
      if (a.hasWeightedClusters()) {
        a.getWeightedClusters()
            .getClustersList()
            .forEach(w -> weighted.put(w.getName(), w.getWeight().getValue()));
      } else {
        cluster = a.getCluster();
      }
      path = rewrite(route.getMatch(), a, call.path());
      host = a.getHostRewriteLiteral().isEmpty() ? call.host() : a.getHostRewriteLiteral();
      timeout = a.hasTimeout() ? Simulation.duration(a.getTimeout()) : "15s";
      retry =
          a.hasRetryPolicy()
              ? retry(a.getRetryPolicy())
              : vh.hasRetryPolicy() ? retry(vh.getRetryPolicy()) : null;
      a.getRequestMirrorPoliciesList()
          .forEach(
              m ->
                  mirrors.put(
                      m.getCluster(),
                      m.hasRuntimeFraction()
                          ? percent(m.getRuntimeFraction().getDefaultValue())
                          : 100.0));
    }
    Redirect redirect = route.hasRedirect() ? redirect(route, call) : null;
    Direct direct = null;
    if (route.hasDirectResponse()) {
      var d = route.getDirectResponse();
      String body =
          d.getBody().hasInlineBytes()
              ? d.getBody().getInlineBytes().toString(StandardCharsets.UTF_8)
              : d.getBody().getInlineString();
      direct = new Direct(d.getStatus(), body);
    }
    HTTPFault hf = perFilter(hcm, rc, vh, route, RoutePolicies.FAULT_FILTER, HTTPFault.class);
    Fault fault = null;
    if (hf != null) {
      var ab = hf.getAbort();
      var kind = ab.getErrorTypeCase();
      fault =
          new Fault(
              kind == FaultAbort.ErrorTypeCase.HTTP_STATUS ? ab.getHttpStatus() : null,
              kind == FaultAbort.ErrorTypeCase.GRPC_STATUS ? ab.getGrpcStatus() : null,
              hf.hasAbort() ? percent(ab.getPercentage()) : 0,
              hf.getDelay().hasFixedDelay()
                  ? Simulation.duration(hf.getDelay().getFixedDelay())
                  : null,
              hf.hasDelay() ? percent(hf.getDelay().getPercentage()) : 0);
    }
    CorsPolicy cp = perFilter(hcm, rc, vh, route, RoutePolicies.CORS_FILTER, CorsPolicy.class);
    Cors cors = null;
    if (cp != null) {
      String origin = call.headers().get("origin");
      cors =
          new Cors(
              cp.getAllowMethods(),
              origin == null
                  ? null
                  : cp.getAllowOriginStringMatchList().stream().anyMatch(m -> string(m, origin)));
    }
    Map<String, Upstream> upstreams = new LinkedHashMap<>();
    if (cluster != null) {
      upstreams.put(cluster, SimulationClusters.upstream(r, cluster));
    }
    for (String c : weighted.keySet()) {
      upstreams.put(c, SimulationClusters.upstream(r, c));
    }
    for (String c : mirrors.keySet()) {
      upstreams.put(c, SimulationClusters.upstream(r, c));
    }
    return new Outcome(
        listener,
        vh.getName(),
        route.getName(),
        cluster,
        weighted,
        redirect,
        direct,
        path,
        host,
        timeout,
        retry,
        fault,
        mirrors,
        cors,
        upstreams,
        null);
  }

  /** The filter's per-route configuration, most specific first, if the filter runs at all. */
  private static <T extends Message> T perFilter(
      HttpConnectionManager hcm,
      RouteConfiguration rc,
      VirtualHost vh,
      Route route,
      String filter,
      Class<T> type) {
    if (hcm.getHttpFiltersList().stream().noneMatch(f -> f.getName().equals(filter))) {
      return null;
    }
    for (Map<String, Any> m :
        java.util.List.of(
            route.getTypedPerFilterConfigMap(),
            vh.getTypedPerFilterConfigMap(),
            rc.getTypedPerFilterConfigMap())) {
      if (m.containsKey(filter)) {
        return SimulationClusters.unpack(m.get(filter), type);
      }
    }
    return null;
  }

  private static Retry retry(RetryPolicy p) {
    return new Retry(
        p.hasNumRetries() ? p.getNumRetries().getValue() : 1,
        p.getRetryOn(),
        p.getRetriableStatusCodesList(),
        p.hasPerTryTimeout() ? Simulation.duration(p.getPerTryTimeout()) : null);
  }

  static double percent(FractionalPercent f) {
    double d =
        switch (f.getDenominator()) {
          case HUNDRED -> 100;
          case TEN_THOUSAND -> 10_000;
          case MILLION -> 1_000_000;
          default -> throw new IllegalArgumentException("denominator " + f);
        };
    return f.getNumerator() * 100 / d;
  }

  /**
   * The path the upstream sees: {@code prefix_rewrite} replaces what the route matched (the prefix,
   * or the whole path for exact and regex matches), {@code regex_rewrite} substitutes every match;
   * the query string is kept.
   */
  static String rewrite(RouteMatch m, RouteAction a, String pathWithQuery) {
    int q = pathWithQuery.indexOf('?');
    String path = q < 0 ? pathWithQuery : pathWithQuery.substring(0, q);
    String query = q < 0 ? "" : pathWithQuery.substring(q);
    if (!a.getPrefixRewrite().isEmpty()) {
      int matched =
          switch (m.getPathSpecifierCase()) {
            case PREFIX -> m.getPrefix().length();
            case PATH_SEPARATED_PREFIX -> m.getPathSeparatedPrefix().length();
            default -> path.length();
          };
      return a.getPrefixRewrite() + path.substring(matched) + query;
    }
    if (a.hasRegexRewrite()) {
      // RE2's \1 back references are Java's $1
      String substitution =
          a.getRegexRewrite()
              .getSubstitution()
              .replace("$", "\\$")
              .replaceAll("\\\\(\\d)", "\\$$1");
      return path.replaceAll(a.getRegexRewrite().getPattern().getRegex(), substitution) + query;
    }
    return pathWithQuery;
  }

  /**
   * Envoy's redirect URL: the scheme, host and port given (the request's otherwise, its port
   * dropped when a port is given), the path given or rewritten, the request's query unless the new
   * path brings one or the query is stripped.
   */
  private static Redirect redirect(Route route, Call call) {
    RedirectAction rd = route.getRedirect();
    String scheme =
        rd.getHttpsRedirect()
            ? "https"
            : !rd.getSchemeRedirect().isEmpty()
                ? rd.getSchemeRedirect()
                : call.sni() != null ? "https" : "http";
    String host = rd.getHostRedirect().isEmpty() ? call.host() : rd.getHostRedirect();
    if (rd.getPortRedirect() != 0) {
      int colon = host.lastIndexOf(':');
      host = (colon < 0 ? host : host.substring(0, colon)) + ":" + rd.getPortRedirect();
    }
    int q = call.path().indexOf('?');
    String query = q < 0 || rd.getStripQuery() ? "" : call.path().substring(q);
    String path;
    switch (rd.getPathRewriteSpecifierCase()) {
      case PATH_REDIRECT -> {
        path = rd.getPathRedirect();
        if (path.contains("?")) {
          query = "";
        }
        path = path + query;
      }
      case PREFIX_REWRITE ->
          path =
              rewrite(
                  route.getMatch(),
                  RouteAction.newBuilder().setPrefixRewrite(rd.getPrefixRewrite()).build(),
                  call.path());
      case PATHREWRITESPECIFIER_NOT_SET ->
          path = q < 0 ? call.path() : call.path().substring(0, q) + query;
      default -> throw new IllegalArgumentException("unsupported redirect " + rd);
    }
    int code =
        switch (rd.getResponseCode()) {
          case FOUND -> 302;
          case SEE_OTHER -> 303;
          case TEMPORARY_REDIRECT -> 307;
          case PERMANENT_REDIRECT -> 308;
          default -> 301;
        };
    return new Redirect(code, scheme + "://" + host + path);
  }

  /** Envoy's virtual host selection. */
  static VirtualHost virtualHost(RouteConfiguration rc, String host) {
    String h = host.toLowerCase();
    VirtualHost best = null;
    int bestRank = -1;
    int bestLength = -1;
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      for (String d : vh.getDomainsList()) {
        int rank;
        int length = d.length();
        if (d.equals(h)) {
          rank = 4;
        } else if (d.startsWith("*") && d.length() > 1 && h.endsWith(d.substring(1))) {
          rank = 3;
        } else if (d.endsWith("*")
            && d.length() > 1
            && h.startsWith(d.substring(0, d.length() - 1))) {
          rank = 2;
        } else if (d.equals("*")) {
          rank = 1;
        } else {
          continue;
        }
        if (rank > bestRank || (rank == bestRank && length > bestLength)) {
          best = vh;
          bestRank = rank;
          bestLength = length;
        }
      }
    }
    return best;
  }

  static boolean matches(RouteMatch m, Call call) {
    if (m.hasRuntimeFraction() || m.hasGrpc() || m.getDynamicMetadataCount() > 0) {
      throw new IllegalArgumentException("unsupported route match " + m);
    }
    String path = call.path();
    int q = path.indexOf('?');
    String bare = q < 0 ? path : path.substring(0, q);
    String query = q < 0 ? "" : path.substring(q + 1);
    boolean caseSensitive = !m.hasCaseSensitive() || m.getCaseSensitive().getValue();
    boolean pathOk =
        switch (m.getPathSpecifierCase()) {
          case PREFIX ->
              caseSensitive
                  ? bare.startsWith(m.getPrefix())
                  : bare.toLowerCase().startsWith(m.getPrefix().toLowerCase());
          case PATH ->
              caseSensitive ? bare.equals(m.getPath()) : bare.equalsIgnoreCase(m.getPath());
          case SAFE_REGEX -> bare.matches(m.getSafeRegex().getRegex());
          case PATH_SEPARATED_PREFIX ->
              bare.equals(m.getPathSeparatedPrefix())
                  || bare.startsWith(m.getPathSeparatedPrefix() + "/");
          default -> throw new IllegalArgumentException("unsupported path matcher " + m);
        };
    if (!pathOk) {
      return false;
    }
    for (HeaderMatcher hm : m.getHeadersList()) {
      String value =
          hm.getName().equals(":method")
              ? call.method()
              : hm.getName().equals(":authority") ? call.host() : call.headers().get(hm.getName());
      boolean ok;
      if (hm.hasPresentMatch()) {
        ok = (value != null) == hm.getPresentMatch();
      } else if (hm.hasStringMatch()) {
        ok = value != null && string(hm.getStringMatch(), value);
      } else if (!hm.getExactMatch().isEmpty()) {
        ok = hm.getExactMatch().equals(value);
      } else if (hm.hasSafeRegexMatch()) {
        ok = value != null && value.matches(hm.getSafeRegexMatch().getRegex());
      } else {
        throw new IllegalArgumentException("unsupported header matcher " + hm);
      }
      if (ok == hm.getInvertMatch()) {
        return false;
      }
    }
    Map<String, String> params = new TreeMap<>();
    for (String kv : query.split("&")) {
      if (!kv.isEmpty()) {
        int eq = kv.indexOf('=');
        params.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
      }
    }
    for (var qp : m.getQueryParametersList()) {
      String value = params.get(qp.getName());
      boolean ok =
          qp.hasPresentMatch()
              ? (value != null) == qp.getPresentMatch()
              : value != null && string(qp.getStringMatch(), value);
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static boolean string(StringMatcher sm, String value) {
    String v = sm.getIgnoreCase() ? value.toLowerCase() : value;
    return switch (sm.getMatchPatternCase()) {
      case EXACT -> v.equals(sm.getIgnoreCase() ? sm.getExact().toLowerCase() : sm.getExact());
      case PREFIX ->
          v.startsWith(sm.getIgnoreCase() ? sm.getPrefix().toLowerCase() : sm.getPrefix());
      case SUFFIX -> v.endsWith(sm.getIgnoreCase() ? sm.getSuffix().toLowerCase() : sm.getSuffix());
      case SAFE_REGEX -> value.matches(sm.getSafeRegex().getRegex());
      case CONTAINS ->
          v.contains(sm.getIgnoreCase() ? sm.getContains().toLowerCase() : sm.getContains());
      default -> throw new IllegalArgumentException("unsupported string matcher " + sm);
    };
  }
}
