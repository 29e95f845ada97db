package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.Durations;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.TCPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.TLSRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyPortTrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code ConfigValidator} checks the parts of VirtualService and DestinationRule specs that would
 * otherwise produce xDS a proxy rejects. Each problem names its field path; an object with any
 * problem is left out of the mesh model as a whole.
 */
public final class ConfigValidator {
  private ConfigValidator() {}

  /** Problems in a VirtualService spec, empty when valid. */
  public static List<String> validate(VirtualService vs) {
    List<String> errors = new ArrayList<>();
    if (vs == null) {
      errors.add("spec: required");
      return errors;
    }
    // a VirtualService without hosts is a delegate: only reachable from a root's route
    boolean delegate = vs.getHosts() == null || vs.getHosts().isEmpty();
    if (delegate) {
      if (vs.getGateways() != null && !vs.getGateways().isEmpty()) {
        errors.add("spec.gateways: a delegate VirtualService (no hosts) must not name gateways");
      }
      if (vs.getTcp() != null && !vs.getTcp().isEmpty()
          || vs.getTls() != null && !vs.getTls().isEmpty()) {
        errors.add("spec: a delegate VirtualService (no hosts) may only have http routes");
      }
    } else {
      for (int i = 0; i < vs.getHosts().size(); i++) {
        String h = vs.getHosts().get(i);
        if (h == null || h.isBlank()) {
          errors.add("spec.hosts[" + i + "]: must not be empty");
        }
      }
    }
    List<HTTPRoute> http = vs.getHttp() == null ? List.of() : vs.getHttp();
    for (int i = 0; i < http.size(); i++) {
      validateRoute("spec.http[" + i + "]", http.get(i), delegate, errors);
    }
    List<TCPRoute> tcp = vs.getTcp() == null ? List.of() : vs.getTcp();
    for (int i = 0; i < tcp.size(); i++) {
      validateDestinations("spec.tcp[" + i + "].route", tcp.get(i).getRoute(), errors);
    }
    List<TLSRoute> tls = vs.getTls() == null ? List.of() : vs.getTls();
    for (int i = 0; i < tls.size(); i++) {
      validateDestinations("spec.tls[" + i + "].route", tls.get(i).getRoute(), errors);
    }
    return errors;
  }

  /**
   * TCP and TLS destinations: as for HTTP, a split whose weights are all 0 would become a TCP proxy
   * with no weighted cluster, which Envoy rejects (at least one cluster).
   */
  private static void validateDestinations(
      String path, List<RouteDestination> route, List<String> errors) {
    if (route == null || route.isEmpty()) {
      errors.add(path + ": at least one destination is required");
      return;
    }
    validateWeighted(
        path, route, RouteDestination::getDestination, RouteDestination::getWeight, errors);
  }

  /**
   * The checks shared by HTTP, TCP and TLS destinations: each names a host, no weight is negative,
   * and several destinations do not all weigh 0 (a proxy would get no cluster to send to).
   */
  private static <T> void validateWeighted(
      String path,
      List<T> route,
      java.util.function.Function<T, Destination> destination,
      java.util.function.Function<T, Integer> weight,
      List<String> errors) {
    int total = 0;
    for (int j = 0; j < route.size(); j++) {
      T d = route.get(j);
      String dp = path + "[" + j + "]";
      Destination dest = destination.apply(d);
      if (dest == null || dest.getHost() == null || dest.getHost().isBlank()) {
        errors.add(dp + ".destination.host: required");
      }
      Integer w = weight.apply(d);
      if (w != null && w < 0) {
        errors.add(dp + ".weight: must be >= 0, got " + w);
      }
      total += w == null ? 0 : w;
    }
    if (route.size() > 1 && total == 0) {
      errors.add(path + ": weights of multiple destinations must not all be 0");
    }
  }

  private static void validateRoute(
      String path, HTTPRoute r, boolean inDelegate, List<String> errors) {
    boolean hasRoute = r.getRoute() != null && !r.getRoute().isEmpty();
    if (r.getDelegate() != null) {
      if (inDelegate) {
        errors.add(path + ".delegate: a delegate VirtualService cannot delegate again");
      }
      if (hasRoute || r.getRedirect() != null || r.getDirectResponse() != null) {
        errors.add(path + ": delegate excludes route, redirect and directResponse");
      }
      if (r.getDelegate().getName() == null || r.getDelegate().getName().isBlank()) {
        errors.add(path + ".delegate.name: required");
      }
      return;
    }
    if (!hasRoute && r.getRedirect() == null && r.getDirectResponse() == null) {
      errors.add(path + ": one of route, redirect, directResponse or delegate is required");
    }
    if (hasRoute && r.getRedirect() != null) {
      errors.add(path + ": route and redirect are mutually exclusive");
    }
    if (hasRoute) {
      validateWeighted(
          path + ".route",
          r.getRoute(),
          HTTPRouteDestination::getDestination,
          HTTPRouteDestination::getWeight,
          errors);
    }
    List<HTTPMatchRequest> matches = r.getMatch() == null ? List.of() : r.getMatch();
    for (int j = 0; j < matches.size(); j++) {
      HTTPMatchRequest m = matches.get(j);
      String mp = path + ".match[" + j + "]";
      checkRegex(mp + ".uri", m.getUri(), errors);
      checkRegex(mp + ".method", m.getMethod(), errors);
      checkRegex(mp + ".authority", m.getAuthority(), errors);
      checkRegexMap(mp + ".headers", m.getHeaders(), errors);
      checkRegexMap(mp + ".queryParams", m.getQueryParams(), errors);
    }
    checkDuration(path + ".timeout", r.getTimeout(), errors);
    if (r.getRetries() != null) {
      if (r.getRetries().getAttempts() != null && r.getRetries().getAttempts() < 0) {
        errors.add(path + ".retries.attempts: must be >= 0");
      }
      checkDuration(path + ".retries.perTryTimeout", r.getRetries().getPerTryTimeout(), errors);
    }
    HTTPFaultInjection f = r.getFault();
    if (f != null) {
      if (f.getDelay() != null) {
        checkPercent(path + ".fault.delay.percentage", f.getDelay().getPercentage(), errors);
      }
      if (f.getAbort() != null) {
        checkPercent(path + ".fault.abort.percentage", f.getAbort().getPercentage(), errors);
      }
    }
    if (r.getMirror() != null
        && (r.getMirror().getHost() == null || r.getMirror().getHost().isBlank())) {
      errors.add(path + ".mirror.host: required");
    }
  }

  private static void checkPercent(String path, Percent p, List<String> errors) {
    if (p != null && p.getValue() != null && (p.getValue() < 0 || p.getValue() > 100)) {
      errors.add(path + ": must be within [0, 100], got " + p.getValue());
    }
  }

  private static void checkDuration(String path, String value, List<String> errors) {
    if (value == null) {
      return;
    }
    try {
      Durations.parse(value);
    } catch (IllegalArgumentException e) {
      errors.add(path + ": " + e.getMessage());
    }
  }

  private static void checkRegexMap(
      String path, Map<String, StringMatch> map, List<String> errors) {
    if (map != null) {
      map.forEach((k, v) -> checkRegex(path + "[" + k + "]", v, errors));
    }
  }

  private static void checkRegex(String path, StringMatch m, List<String> errors) {
    if (m != null && m.getMatchType() instanceof StringMatchRegex re) {
      try {
        Pattern.compile(re.getRegex());
      } catch (PatternSyntaxException | NullPointerException e) {
        errors.add(path + ".regex: invalid regular expression " + re.getRegex());
      }
    }
  }

  /** Problems in a DestinationRule spec, empty when valid. */
  public static List<String> validate(DestinationRule dr) {
    List<String> errors = new ArrayList<>();
    if (dr == null) {
      errors.add("spec: required");
      return errors;
    }
    if (dr.getHost() == null || dr.getHost().isBlank()) {
      errors.add("spec.host: required");
    }
    Set<String> names = new HashSet<>();
    List<Subset> subsets = dr.getSubsets() == null ? List.of() : dr.getSubsets();
    for (int i = 0; i < subsets.size(); i++) {
      Subset s = subsets.get(i);
      if (s.getName() == null || s.getName().isBlank()) {
        errors.add("spec.subsets[" + i + "].name: required");
      } else if (!names.add(s.getName())) {
        errors.add("spec.subsets[" + i + "].name: duplicate subset " + s.getName());
      } else if (s.getName().contains("|")) {
        errors.add("spec.subsets[" + i + "].name: must not contain '|'");
      }
    }
    if (dr.getTrafficPolicy() != null && dr.getTrafficPolicy().getOutlierDetection() != null) {
      var od = dr.getTrafficPolicy().getOutlierDetection();
      checkDuration("spec.trafficPolicy.outlierDetection.interval", od.getInterval(), errors);
      checkDuration(
          "spec.trafficPolicy.outlierDetection.baseEjectionTime", od.getBaseEjectionTime(), errors);
      if (od.getMaxEjectionPercent() != null
          && (od.getMaxEjectionPercent() < 0 || od.getMaxEjectionPercent() > 100)) {
        errors.add(
            "spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be within [0, 100]");
      }
    }
    tls(dr.getTrafficPolicy(), "spec.trafficPolicy", errors);
    for (int i = 0; i < subsets.size(); i++) {
      tls(subsets.get(i).getTrafficPolicy(), "spec.subsets[" + i + "].trafficPolicy", errors);
    }
    return errors;
  }

  private static void tls(TrafficPolicy tp, String path, List<String> errors) {
    if (tp == null) {
      return;
    }
    clientTls(tp.getTls(), path + ".tls")
        .forEach(e -> errors.add(e.getKey() + ": " + e.getValue()));
    var ports =
        tp.getPortLevelSettings() == null
            ? List.<TrafficPolicyPortTrafficPolicy>of()
            : tp.getPortLevelSettings();
    for (int i = 0; i < ports.size(); i++) {
      clientTls(ports.get(i).getTls(), path + ".portLevelSettings[" + i + "].tls")
          .forEach(e -> errors.add(e.getKey() + ": " + e.getValue()));
    }
  }

  /**
   * Istio's rules for a DestinationRule's {@code tls} ({@code validateTLS}), as (field path,
   * message) pairs: {@code MUTUAL} needs a client certificate and key or a {@code credentialName}
   * (the proxy would otherwise connect without the certificate the rule asks for), {@code
   * insecureSkipVerify} excludes what only verification uses, and {@code credentialName} excludes
   * the file settings it replaces.
   */
  public static List<Map.Entry<String, String>> clientTls(ClientTLSSettings tls, String path) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    if (tls == null) {
      return out;
    }
    boolean credential = !blank(tls.getCredentialName());
    boolean sans = tls.getSubjectAltNames() != null && !tls.getSubjectAltNames().isEmpty();
    if (Boolean.TRUE.equals(tls.getInsecureSkipVerify())) {
      if (tls.getMode() == ClientTLSSettingsTLSmode.SIMPLE
          && (!blank(tls.getCaCertificates()) || credential || sans)) {
        out.add(
            Map.entry(
                path,
                "cannot specify caCertificates or credentialName or subjectAltNames when"
                    + " insecureSkipVerify is set true"));
      }
      if (tls.getMode() == ClientTLSSettingsTLSmode.MUTUAL
          && (!blank(tls.getCaCertificates()) || sans)) {
        out.add(
            Map.entry(
                path,
                "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is set"
                    + " true"));
      }
    }
    boolean simpleOrMutual =
        tls.getMode() == ClientTLSSettingsTLSmode.SIMPLE
            || tls.getMode() == ClientTLSSettingsTLSmode.MUTUAL;
    if (simpleOrMutual && credential) {
      if (!blank(tls.getClientCertificate())
          || !blank(tls.getCaCertificates())
          || !blank(tls.getPrivateKey())
          || !blank(tls.getCaCrl())) {
        out.add(
            Map.entry(
                path,
                "cannot specify client certificates or CA certificate or CA CRL if credentialName"
                    + " is set"));
      }
      return out;
    }
    if (tls.getMode() == ClientTLSSettingsTLSmode.MUTUAL
        && (blank(tls.getClientCertificate()) || blank(tls.getPrivateKey()))) {
      out.add(
          Map.entry(
              path,
              "client certificate and private key (or credentialName) required for mutual tls"));
    }
    return out;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
