package dev.isthmus.controlplane.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code Simulation} plays the part of Envoy for one HTTP request against the resources the control
 * plane generated for a proxy, in the spirit of Istio's {@code *_simulation_test.go}: listener for
 * the port, its connection manager, the route configuration it names, the virtual host for the
 * {@code Host} header (exact, then the longest suffix wildcard, then the longest prefix wildcard,
 * then {@code *}), the first route whose path, header and query matchers accept the request, and
 * what that route does, with the names of its per-filter configurations (fault, CORS). It is a
 * stand-in for Envoy's routing, not Envoy: it covers what the control plane emits, and fails loudly
 * on a matcher it does not know.
 */
final class Simulation {
  private Simulation() {}

  /** A request: destination port, {@code Host}, path (with query), method and headers. */
  record Call(int port, String host, String path, String method, Map<String, String> headers) {
    static Call get(int port, String host, String path) {
      return new Call(port, host, path, "GET", Map.of());
    }

    Call with(String header, String value) {
      Map<String, String> h = new TreeMap<>(headers);
      h.put(header, value);
      return new Call(port, host, path, method, h);
    }

    Call method(String m) {
      return new Call(port, host, path, m, headers);
    }
  }

  /**
   * What the proxy does with the call: the route's name and cluster (or weighted clusters),
   * redirect, direct response, rewrites, timeout, retries, fault and mirrors; {@code error} says
   * why nothing matched.
   */
  record Outcome(
      String virtualHost,
      String route,
      String cluster,
      Map<String, Integer> weighted,
      String redirect,
      Integer directStatus,
      String prefixRewrite,
      String hostRewrite,
      String timeout,
      Integer retries,
      boolean fault,
      List<String> mirrors,
      java.util.Set<String> perFilter,
      String error) {
    static Outcome error(String why) {
      return new Outcome(
          null,
          null,
          null,
          Map.of(),
          null,
          null,
          null,
          null,
          null,
          null,
          false,
          List.of(),
          java.util.Set.of(),
          why);
    }
  }

  /** Routes {@code call} through the outbound listener of its port. */
  static Outcome outbound(ProxyResources r, Call call) {
    Listener l =
        (Listener) r.messages(Resources.V3.LISTENER_TYPE_URL).get("0.0.0.0_" + call.port());
    if (l == null) {
      return Outcome.error("no listener 0.0.0.0_" + call.port());
    }
    HttpConnectionManager hcm = null;
    for (FilterChain fc : l.getFilterChainsList()) {
      for (var f : fc.getFiltersList()) {
        if (f.getName().equals(ListenerGenerator.HCM)) {
          hcm = unpack(f.getTypedConfig(), HttpConnectionManager.class);
          break;
        }
      }
      if (hcm != null) {
        break;
      }
    }
    if (hcm == null) {
      return Outcome.error("listener 0.0.0.0_" + call.port() + " is not HTTP");
    }
    RouteConfiguration rc =
        hcm.hasRouteConfig()
            ? hcm.getRouteConfig()
            : (RouteConfiguration)
                r.messages(Resources.V3.ROUTE_TYPE_URL).get(hcm.getRds().getRouteConfigName());
    if (rc == null) {
      return Outcome.error("no route configuration " + hcm.getRds().getRouteConfigName());
    }
    return route(rc, call);
  }

  /** Where a TCP connection goes: the tcp_proxy's cluster or weighted clusters. */
  record Connection(String listener, String cluster, Map<String, Integer> weighted, String error) {}

  /**
   * Walks a TCP connection to {@code ip:port} (with TLS {@code sni}, or null for plain TCP): the
   * listener {@code <ip>_<port>}, else {@code 0.0.0.0_<port>}, then its first filter chain whose
   * server names (when it has any) contain the SNI, then the chain's {@code tcp_proxy}.
   */
  static Connection connect(ProxyResources r, String ip, int port, String sni) {
    var listeners = r.messages(Resources.V3.LISTENER_TYPE_URL);
    Listener l = (Listener) listeners.get(ip + "_" + port);
    if (l == null) {
      l = (Listener) listeners.get("0.0.0.0_" + port);
    }
    if (l == null) {
      return new Connection(null, null, Map.of(), "no listener for " + ip + ":" + port);
    }
    for (FilterChain fc : l.getFilterChainsList()) {
      var names = fc.getFilterChainMatch().getServerNamesList();
      if (!names.isEmpty() && (sni == null || names.stream().noneMatch(n -> sniMatches(n, sni)))) {
        continue;
      }
      for (var f : fc.getFiltersList()) {
        if (f.getName().equals("envoy.filters.network.tcp_proxy")) {
          var t =
              unpack(
                  f.getTypedConfig(),
                  io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
          Map<String, Integer> weighted = new LinkedHashMap<>();
          t.getWeightedClusters()
              .getClustersList()
              .forEach(w -> weighted.put(w.getName(), w.getWeight()));
          return new Connection(
              l.getName(), t.getCluster().isEmpty() ? null : t.getCluster(), weighted, null);
        }
      }
    }
    return new Connection(l.getName(), null, Map.of(), "no filter chain accepts the connection");
  }

  private static boolean sniMatches(String pattern, String sni) {
    return pattern.equals(sni) || (pattern.startsWith("*.") && sni.endsWith(pattern.substring(1)));
  }

  /** Routes {@code call} through a route configuration. */
  static Outcome route(RouteConfiguration rc, Call call) {
    VirtualHost vh = virtualHost(rc, call.host());
    if (vh == null) {
      return Outcome.error("no virtual host for " + call.host());
    }
    for (Route route : vh.getRoutesList()) {
      if (matches(route.getMatch(), call)) {
        return outcome(vh, route);
      }
    }
    return Outcome.error("no route of " + vh.getName() + " matches " + call.path());
  }

  private static Outcome outcome(VirtualHost vh, Route route) {
    String cluster = null;
    Map<String, Integer> weighted = new LinkedHashMap<>();
    String prefixRewrite = null;
    String hostRewrite = null;
    String timeout = null;
    Integer retries = null;
    List<String> mirrors = new ArrayList<>();
    if (route.hasRoute()) {
      var a = route.getRoute();
      if (a.hasWeightedClusters()) {
        a.getWeightedClusters()
            .getClustersList()
            .forEach(w -> weighted.put(w.getName(), w.getWeight().getValue()));
      } else {
        cluster = a.getCluster();
      }
      prefixRewrite = a.getPrefixRewrite().isEmpty() ? null : a.getPrefixRewrite();
      hostRewrite = a.getHostRewriteLiteral().isEmpty() ? null : a.getHostRewriteLiteral();
      timeout = a.hasTimeout() ? a.getTimeout().getSeconds() + "s" : null;
      retries = a.hasRetryPolicy() ? a.getRetryPolicy().getNumRetries().getValue() : null;
      a.getRequestMirrorPoliciesList().forEach(m -> mirrors.add(m.getCluster()));
    }
    String redirect = null;
    if (route.hasRedirect()) {
      var rd = route.getRedirect();
      redirect =
          rd.getHostRedirect() + (rd.getPathRedirect().isEmpty() ? "" : rd.getPathRedirect());
    }
    Integer direct = route.hasDirectResponse() ? route.getDirectResponse().getStatus() : null;
    boolean fault = route.getTypedPerFilterConfigMap().containsKey(RoutePolicies.FAULT_FILTER);
    return new Outcome(
        vh.getName(),
        route.getName(),
        cluster,
        weighted,
        redirect,
        direct,
        prefixRewrite,
        hostRewrite,
        timeout,
        retries,
        fault,
        mirrors,
        new java.util.TreeSet<>(route.getTypedPerFilterConfigMap().keySet()),
        null);
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
    String path = call.path();
    int q = path.indexOf('?');
    String bare = q < 0 ? path : path.substring(0, q);
    String query = q < 0 ? "" : path.substring(q + 1);
    boolean pathOk =
        switch (m.getPathSpecifierCase()) {
          case PREFIX ->
              m.getCaseSensitive().getValue() || !m.hasCaseSensitive()
                  ? bare.startsWith(m.getPrefix())
                  : bare.toLowerCase().startsWith(m.getPrefix().toLowerCase());
          case PATH -> bare.equals(m.getPath());
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
      } else if (hm.getExactMatch() != null && !hm.getExactMatch().isEmpty()) {
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
      case CONTAINS -> v.contains(sm.getContains());
      default -> throw new IllegalArgumentException("unsupported string matcher " + sm);
    };
  }

  private static <T extends com.google.protobuf.Message> T unpack(
      com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
