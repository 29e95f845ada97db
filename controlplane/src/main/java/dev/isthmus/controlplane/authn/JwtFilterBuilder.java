package dev.isthmus.controlplane.authn;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.api.security.v1beta1.ClaimToHeader;
import io.fabric8.istio.api.api.security.v1beta1.JWTHeader;
import io.fabric8.istio.api.api.security.v1beta1.JWTRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code JwtFilterBuilder} turns the RequestAuthentications that apply to one workload into an
 * Envoy {@code envoy.filters.http.jwt_authn} filter, shaped the way istiod shapes it.
 *
 * <p>Each JWT rule becomes a provider {@code origins-<n>}, numbered after all rules are sorted by
 * issuer. The requirement lets a request without a token through and rejects one whose token does
 * not verify: a RequestAuthentication only authenticates, an AuthorizationPolicy decides whether a
 * token was required. The verified payload is written to the filter's dynamic metadata under
 * {@value #PAYLOAD_METADATA_KEY}, where authorization matchers on {@code request.auth.*} look for
 * it.
 */
public final class JwtFilterBuilder {
  /** {@code FILTER_NAME} is the name the HTTP connection manager knows the filter by. */
  public static final String FILTER_NAME = "envoy.filters.http.jwt_authn";

  /** {@code PAYLOAD_METADATA_KEY} is the dynamic-metadata key that holds the verified payload. */
  public static final String PAYLOAD_METADATA_KEY = "payload";

  /** {@code DEFAULT_FETCH_TIMEOUT} bounds a JWKS fetch when a rule sets no timeout. */
  public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(5);

  /** Claims whose space-separated string value is split into a list, whatever the rule says. */
  private static final List<String> DEFAULT_SPACE_DELIMITED_CLAIMS = List.of("permission", "scope");

  private static final Logger LOG = LoggerFactory.getLogger(JwtFilterBuilder.class);

  private JwtFilterBuilder() {}

  /**
   * {@code build} returns the JWT filter for a sidecar, or empty when no policy has a JWT rule.
   *
   * @param policiesForWorkload the RequestAuthentications selecting the workload, in any order
   * @param jwks resolves {@code jwksUri} and issuer discovery into an inline key set
   */
  public static Optional<HttpFilter> build(List<JwtPolicy> policiesForWorkload, KeySets jwks) {
    return build(policiesForWorkload, jwks, false);
  }

  /**
   * {@code build} returns the JWT filter, or empty when no policy has a JWT rule.
   *
   * @param clearRouteCache whether Envoy recomputes the route after verification, so routes can
   *     match on headers the filter adds; istiod sets it for gateways and waypoints, not sidecars
   */
  public static Optional<HttpFilter> build(
      List<JwtPolicy> policiesForWorkload, KeySets jwks, boolean clearRouteCache) {
    return config(policiesForWorkload, jwks, clearRouteCache)
        .map(
            config ->
                HttpFilter.newBuilder()
                    .setName(FILTER_NAME)
                    .setTypedConfig(Any.pack(config))
                    .build());
  }

  /** {@code config} returns the filter's typed configuration, or empty without JWT rules. */
  public static Optional<JwtAuthentication> config(
      List<JwtPolicy> policiesForWorkload, KeySets jwks, boolean clearRouteCache) {
    List<Located> rules = sortedRules(policiesForWorkload);
    if (rules.isEmpty()) {
      return Optional.empty();
    }
    JwtAuthentication.Builder out = JwtAuthentication.newBuilder().setBypassCorsPreflight(true);
    // One "this provider, or no token at all" per provider, all of which must hold: a token that
    // is present must verify against its provider.
    List<JwtRequirement> eachValidOrMissing = new ArrayList<>();
    // Providers that read the same header each see the other's token and fail the AND above; any
    // single provider accepting the request is enough then.
    List<JwtRequirement> anyProvider = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      String name = "origins-" + i;
      out.putProviders(name, provider(rules.get(i), jwks, clearRouteCache));
      JwtRequirement byName = JwtRequirement.newBuilder().setProviderName(name).build();
      anyProvider.add(byName);
      eachValidOrMissing.add(
          anyOf(
              List.of(
                  byName,
                  JwtRequirement.newBuilder()
                      .setAllowMissing(Empty.getDefaultInstance())
                      .build())));
    }
    JwtRequirement requires;
    if (eachValidOrMissing.size() == 1) {
      requires = eachValidOrMissing.get(0);
    } else {
      anyProvider.add(
          JwtRequirement.newBuilder()
              .setRequiresAll(
                  JwtRequirementAndList.newBuilder().addAllRequirements(eachValidOrMissing))
              .build());
      requires = anyOf(anyProvider);
    }
    out.addRules(
        RequirementRule.newBuilder()
            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setRequires(requires));
    return Optional.of(out.build());
  }

  private static JwtRequirement anyOf(List<JwtRequirement> requirements) {
    return JwtRequirement.newBuilder()
        .setRequiresAny(JwtRequirementOrList.newBuilder().addAllRequirements(requirements))
        .build();
  }

  private static JwtProvider provider(Located located, KeySets jwks, boolean clearRouteCache) {
    JWTRule rule = located.rule();
    JwtProvider.Builder p =
        JwtProvider.newBuilder()
            .setIssuer(nullToEmpty(rule.getIssuer()))
            .addAllAudiences(nonNull(rule.getAudiences()))
            .setForward(Boolean.TRUE.equals(rule.getForwardOriginalToken()))
            .setForwardPayloadHeader(nullToEmpty(rule.getOutputPayloadToHeader()))
            .setPayloadInMetadata(PAYLOAD_METADATA_KEY)
            .setNormalizePayloadInMetadata(
                JwtProvider.NormalizePayload.newBuilder()
                    .addAllSpaceDelimitedClaims(
                        spaceDelimitedClaims(rule.getSpaceDelimitedClaims())))
            .setClearRouteCache(clearRouteCache);
    for (ClaimToHeader c : nonNull(rule.getOutputClaimToHeaders())) {
      p.addClaimToHeaders(
          JwtClaimToHeader.newBuilder()
              .setHeaderName(nullToEmpty(c.getHeader()))
              .setClaimName(nullToEmpty(c.getClaim())));
    }
    for (JWTHeader h : nonNull(rule.getFromHeaders())) {
      p.addFromHeaders(
          JwtHeader.newBuilder()
              .setName(nullToEmpty(h.getName()))
              .setValuePrefix(nullToEmpty(h.getPrefix())));
    }
    p.addAllFromParams(nonNull(rule.getFromParams()));
    p.addAllFromCookies(nonNull(rule.getFromCookies()));
    p.setLocalJwks(
        jwks.localJwks(rule.getIssuer(), rule.getJwksUri(), rule.getJwks(), timeout(located)));
    return p.build();
  }

  /** Without a list the defaults are used as they are; with one, the union is sorted. */
  static List<String> spaceDelimitedClaims(List<String> fromRule) {
    if (fromRule == null) {
      return DEFAULT_SPACE_DELIMITED_CLAIMS;
    }
    TreeSet<String> all = new TreeSet<>(fromRule);
    all.addAll(DEFAULT_SPACE_DELIMITED_CLAIMS);
    return List.copyOf(all);
  }

  private static Duration timeout(Located located) {
    String text = located.rule().getTimeout();
    if (text == null || text.isEmpty()) {
      return DEFAULT_FETCH_TIMEOUT;
    }
    try {
      return GoDuration.parse(text);
    } catch (IllegalArgumentException e) {
      // Admission validates this field; an object that slipped past it still gets a bounded fetch.
      LOG.warn(
          "RequestAuthentication {}/{}: spec.jwtRules[{}].timeout: {}; using {}",
          located.policy().namespace(),
          located.policy().name(),
          located.index(),
          e.getMessage(),
          DEFAULT_FETCH_TIMEOUT);
      return DEFAULT_FETCH_TIMEOUT;
    }
  }

  /**
   * Rules of all policies, sorted by issuer. Rules with the same issuer keep a fixed order (policy
   * namespace, name, then position) so that the same policies always give the same provider names.
   */
  private static List<Located> sortedRules(List<JwtPolicy> policies) {
    List<Located> rules = new ArrayList<>();
    for (JwtPolicy policy : policies) {
      if (policy.spec() == null || policy.spec().getJwtRules() == null) {
        continue;
      }
      List<JWTRule> jwtRules = policy.spec().getJwtRules();
      for (int i = 0; i < jwtRules.size(); i++) {
        if (jwtRules.get(i) != null) {
          rules.add(new Located(policy, i, jwtRules.get(i)));
        }
      }
    }
    rules.sort(
        Comparator.comparing((Located l) -> nullToEmpty(l.rule().getIssuer()))
            .thenComparing(l -> l.policy().namespace())
            .thenComparing(l -> l.policy().name())
            .thenComparingInt(Located::index));
    return rules;
  }

  private record Located(JwtPolicy policy, int index, JWTRule rule) {}

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  private static <T> List<T> nonNull(List<T> list) {
    return list == null ? List.of() : list;
  }
}
