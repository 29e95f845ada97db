package dev.isthmus.controlplane.webhooks.validation;

import io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.TCPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.TLSRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.List;
import java.util.Map;

/** {@code VirtualServiceRules} mirrors Istio's {@code ValidateVirtualService}. */
final class VirtualServiceRules {
  private VirtualServiceRules() {}

  static void validate(VirtualService vs, Problems p) {
    List<String> hosts = nn(vs.getHosts());
    boolean delegate = hosts.isEmpty();
    if (delegate) {
      // A VirtualService without hosts is only meaningful as a delegate of another one.
      if (!nn(vs.getGateways()).isEmpty()) {
        p.error("spec.gateways", "delegate virtual service must have no gateways specified");
      }
      if (!nn(vs.getTls()).isEmpty()) {
        p.error("spec.tls", "delegate virtual service must have no tls route specified");
      }
      if (!nn(vs.getTcp()).isEmpty()) {
        p.error("spec.tcp", "delegate virtual service must have no tcp route specified");
      }
      if (nn(vs.getHttp()).isEmpty()) {
        p.error("spec.hosts", "virtual service must have at least one host");
        return;
      }
    }
    for (int i = 0; i < hosts.size(); i++) {
      String h = hosts.get(i);
      if (h.contains("/")) {
        p.error(
            "spec.hosts[" + i + "]", "namespace scoped hosts are not allowed in a virtual service");
      } else {
        Checks.wildcardHost(p, "spec.hosts[" + i + "]", h);
      }
    }
    if (nn(vs.getHttp()).isEmpty() && nn(vs.getTcp()).isEmpty() && nn(vs.getTls()).isEmpty()) {
      p.error("spec", "http, tcp or tls must be provided in virtual service");
    }
    List<HTTPRoute> http = nn(vs.getHttp());
    for (int i = 0; i < http.size(); i++) {
      httpRoute(http.get(i), "spec.http[" + i + "]", delegate, p);
    }
    List<TCPRoute> tcp = nn(vs.getTcp());
    for (int i = 0; i < tcp.size(); i++) {
      String path = "spec.tcp[" + i + "]";
      routeDestinations(nn(tcp.get(i).getRoute()), path + ".route", "TCP route is required", p);
      var match = nn(tcp.get(i).getMatch());
      for (int j = 0; j < match.size(); j++) {
        Checks.port(p, path + ".match[" + j + "].port", match.get(j).getPort());
      }
    }
    List<TLSRoute> tls = nn(vs.getTls());
    for (int i = 0; i < tls.size(); i++) {
      String path = "spec.tls[" + i + "]";
      var match = nn(tls.get(i).getMatch());
      if (match.isEmpty()) {
        p.error(path + ".match", "TLS route must have at least one match condition");
      }
      for (int j = 0; j < match.size(); j++) {
        var sni = nn(match.get(j).getSniHosts());
        if (sni.isEmpty()) {
          p.error(path + ".match[" + j + "].sniHosts", "TLS match must have at least one SNI host");
        }
        for (int k = 0; k < sni.size(); k++) {
          Checks.wildcardHost(p, path + ".match[" + j + "].sniHosts[" + k + "]", sni.get(k));
        }
        Checks.port(p, path + ".match[" + j + "].port", match.get(j).getPort());
      }
      routeDestinations(nn(tls.get(i).getRoute()), path + ".route", "TLS route is required", p);
    }
  }

  private static void httpRoute(HTTPRoute r, String path, boolean inDelegate, Problems p) {
    boolean hasRoute = !nn(r.getRoute()).isEmpty();
    boolean hasRedirect = r.getRedirect() != null;
    boolean hasDirect = r.getDirectResponse() != null;
    if (r.getDelegate() != null) {
      if (inDelegate) {
        p.error(path + ".delegate", "delegate virtual service cannot have delegate");
      }
      if (hasRoute || hasRedirect || hasDirect) {
        p.error(
            path, "HTTP route cannot contain both delegate and route, redirect or direct response");
      }
      if (Checks.isBlank(r.getDelegate().getName())) {
        p.error(path + ".delegate.name", "delegate name is required");
      }
    } else if (!hasRoute && !hasRedirect && !hasDirect) {
      p.error(path, "HTTP route, redirect or direct response is required");
    }
    if (hasRoute && hasRedirect) {
      p.error(path, "HTTP route cannot contain both route and redirect");
    }
    if (hasRoute && hasDirect) {
      p.error(path, "HTTP route cannot contain both route and direct response");
    }
    if (hasRedirect && hasDirect) {
      p.error(path, "HTTP route cannot contain both redirect and direct response");
    }
    if (hasRedirect && r.getRewrite() != null) {
      p.error(path, "HTTP route cannot contain both rewrite and redirect");
    }
    if (hasDirect) {
      Long status = r.getDirectResponse().getStatus();
      if (status == null || status < 200 || status > 599) {
        p.error(path + ".directResponse.status", "invalid direct response status code " + status);
      }
    }
    if (hasRedirect && r.getRedirect().getRedirectCode() != null) {
      long code = r.getRedirect().getRedirectCode();
      if (code < 300 || code > 399) {
        p.error(
            path + ".redirect.redirectCode", "redirect code " + code + " is not a valid 3xx code");
      }
    }
    var matches = nn(r.getMatch());
    for (int i = 0; i < matches.size(); i++) {
      match(matches.get(i), path + ".match[" + i + "]", p);
    }
    var routes = nn(r.getRoute());
    int total = 0;
    for (int i = 0; i < routes.size(); i++) {
      HTTPRouteDestination d = routes.get(i);
      String dp = path + ".route[" + i + "]";
      destination(d.getDestination(), dp + ".destination", p);
      if (d.getWeight() != null) {
        if (d.getWeight() < 0) {
          p.error(dp + ".weight", "weight " + d.getWeight() + " < 0");
        }
        total += d.getWeight();
      }
    }
    weightTotal(routes.size(), total, path + ".route", p);
    Checks.duration(p, path + ".timeout", r.getTimeout());
    if (r.getRetries() != null) {
      Integer attempts = r.getRetries().getAttempts();
      if (attempts != null && attempts < 0) {
        p.error(path + ".retries.attempts", "attempts cannot be negative");
      }
      Checks.duration(p, path + ".retries.perTryTimeout", r.getRetries().getPerTryTimeout());
      Checks.duration(p, path + ".retries.backoff", r.getRetries().getBackoff());
    }
    fault(r.getFault(), path + ".fault", p);
    if (r.getMirror() != null) {
      destination(r.getMirror(), path + ".mirror", p);
    }
    percent(r.getMirrorPercentage(), path + ".mirrorPercentage", p);
    if (r.getMirrorPercent() != null && (r.getMirrorPercent() < 0 || r.getMirrorPercent() > 100)) {
      p.error(path + ".mirrorPercent", "mirror_percent must have a max value of 100");
    }
    var mirrors = nn(r.getMirrors());
    for (int i = 0; i < mirrors.size(); i++) {
      destination(mirrors.get(i).getDestination(), path + ".mirrors[" + i + "].destination", p);
      percent(mirrors.get(i).getPercentage(), path + ".mirrors[" + i + "].percentage", p);
    }
    cors(r.getCorsPolicy(), path + ".corsPolicy", p);
  }

  private static void match(HTTPMatchRequest m, String path, Problems p) {
    stringMatch(m.getUri(), path + ".uri", p);
    stringMatch(m.getScheme(), path + ".scheme", p);
    stringMatch(m.getMethod(), path + ".method", p);
    stringMatch(m.getAuthority(), path + ".authority", p);
    headerMatches(m.getHeaders(), path + ".headers", p);
    headerMatches(m.getWithoutHeaders(), path + ".withoutHeaders", p);
    headerMatches(m.getQueryParams(), path + ".queryParams", p);
    Checks.port(p, path + ".port", m.getPort());
    Checks.labels(p, path + ".sourceLabels", m.getSourceLabels());
  }

  private static void headerMatches(Map<String, StringMatch> headers, String path, Problems p) {
    if (headers == null) {
      return;
    }
    headers.forEach(
        (name, sm) -> {
          if (name.isEmpty()) {
            p.error(path, "header name cannot be empty");
          }
          stringMatch(sm, path + "[" + name + "]", p);
        });
  }

  static void stringMatch(StringMatch sm, String path, Problems p) {
    if (sm == null || sm.getMatchType() == null) {
      return;
    }
    if (sm.getMatchType() instanceof StringMatchRegex re) {
      Checks.regex(p, path + ".regex", re.getRegex());
    } else if (sm.getMatchType() instanceof StringMatchPrefix pre
        && Checks.isBlank(pre.getPrefix())) {
      p.error(path + ".prefix", "prefix match must not be empty");
    } else if (sm.getMatchType() instanceof StringMatchExact ex && ex.getExact() == null) {
      p.error(path + ".exact", "exact match must not be empty");
    }
  }

  private static void routeDestinations(
      List<RouteDestination> routes, String path, String requiredMessage, Problems p) {
    if (routes.isEmpty()) {
      p.error(path, requiredMessage);
      return;
    }
    int total = 0;
    for (int i = 0; i < routes.size(); i++) {
      destination(routes.get(i).getDestination(), path + "[" + i + "].destination", p);
      Integer w = routes.get(i).getWeight();
      if (w != null) {
        if (w < 0) {
          p.error(path + "[" + i + "].weight", "weight " + w + " < 0");
        }
        total += w;
      }
    }
    weightTotal(routes.size(), total, path, p);
  }

  /**
   * Istio normalises weights (a destination gets weight/sum), so only an all-zero split across
   * several destinations is an error; a sum other than 100 is reported as a warning.
   */
  private static void weightTotal(int count, int total, String path, Problems p) {
    if (count > 1 && total == 0) {
      p.error(path, "total destination weight = 0");
    } else if (count > 1 && total != 100) {
      p.warn(path, "total destination weight " + total + " != 100; weights are normalized");
    }
  }

  static void destination(Destination d, String path, Problems p) {
    if (d == null) {
      p.error(path, "destination is required");
      return;
    }
    String host = d.getHost();
    if (Checks.isBlank(host)) {
      p.error(path + ".host", "destination host is required");
    } else if (host.contains("/")) {
      p.error(
          path + ".host",
          "destination host " + Checks.quote(host) + " must not contain a namespace");
    } else {
      Checks.wildcardHost(p, path + ".host", host);
    }
    if (d.getSubset() != null && !Checks.isDns1123Label(d.getSubset())) {
      p.error(
          path + ".subset",
          "subset is invalid: " + Checks.quote(d.getSubset()) + " is not a DNS-1123 label");
    }
    if (d.getPort() != null) {
      Checks.port(p, path + ".port.number", d.getPort().getNumber());
    }
  }

  private static void fault(HTTPFaultInjection f, String path, Problems p) {
    if (f == null) {
      return;
    }
    if (f.getAbort() == null && f.getDelay() == null) {
      p.error(path, "HTTP fault injection must have an abort and/or a delay");
    }
    if (f.getAbort() != null) {
      percent(f.getAbort().getPercentage(), path + ".abort.percentage", p);
      if (f.getAbort().getErrorType() == null) {
        p.error(path + ".abort", "abort must have an httpStatus or grpcStatus");
      } else if (f.getAbort().getErrorType() instanceof HTTPFaultInjectionAbortHttpStatus hs
          && (hs.getHttpStatus() == null || hs.getHttpStatus() < 200 || hs.getHttpStatus() > 599)) {
        p.error(path + ".abort.httpStatus", "invalid abort http status " + hs.getHttpStatus());
      }
    }
    if (f.getDelay() != null) {
      percent(f.getDelay().getPercentage(), path + ".delay.percentage", p);
      if (f.getDelay().getHttpDelayType() == null) {
        p.error(path + ".delay", "delay must have a fixedDelay");
      } else if (f.getDelay().getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fd) {
        Checks.duration(p, path + ".delay.fixedDelay", fd.getFixedDelay());
      }
    }
  }

  private static void cors(CorsPolicy c, String path, Problems p) {
    if (c == null) {
      return;
    }
    var origins = nn(c.getAllowOrigins());
    for (int i = 0; i < origins.size(); i++) {
      stringMatch(origins.get(i), path + ".allowOrigins[" + i + "]", p);
    }
    Checks.duration(p, path + ".maxAge", c.getMaxAge());
    var methods = nn(c.getAllowMethods());
    for (int i = 0; i < methods.size(); i++) {
      if (!List.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
          .contains(methods.get(i))) {
        p.error(
            path + ".allowMethods[" + i + "]",
            Checks.quote(methods.get(i)) + " is not a valid HTTP method");
      }
    }
  }

  static void percent(Percent pc, String path, Problems p) {
    if (pc != null) {
      Checks.percent(p, path + ".value", pc.getValue());
    }
  }

  static <T> List<T> nn(List<T> l) {
    return l == null ? List.of() : l;
  }
}
