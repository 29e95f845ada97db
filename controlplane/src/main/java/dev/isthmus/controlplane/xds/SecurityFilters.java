package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.isthmus.controlplane.authn.JwksResolver;
import dev.isthmus.controlplane.authn.JwtFilterBuilder;
import dev.isthmus.controlplane.authn.JwtPolicy;
import dev.isthmus.controlplane.authn.KeySets;
import dev.isthmus.controlplane.authz.AuthzBuilder;
import dev.isthmus.controlplane.authz.AuthzOptions;
import dev.isthmus.controlplane.authz.AuthzPolicy;
import dev.isthmus.controlplane.authz.AuthzResult;
import dev.isthmus.controlplane.model.Annotated;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecuritySettings;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy;
import io.fabric8.istio.api.api.security.v1beta1.RequestAuthentication;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SecurityFilters} are the request-level security filters of one proxy's inbound side: the
 * {@code jwt_authn} filter of the RequestAuthentications that select it, then the RBAC and
 * ext_authz filters of its AuthorizationPolicies (HTTP filters for HTTP ports, network filters for
 * the others), as Istio places them ahead of the rest of the chain.
 *
 * <p>Translation never fails a push: a policy the builder cannot translate is left out as Istio
 * leaves out an invalid rule (an ALLOW policy left without rules allows nothing), and an unexpected
 * error while translating makes the proxy deny every request rather than enforce nothing.
 */
final class SecurityFilters {
  private static final Logger LOG = LoggerFactory.getLogger(SecurityFilters.class);
  static final String DENY_ALL = "isthmus-deny-all-untranslatable-policies";

  private final List<HttpFilter> http;
  private final List<Filter> tcp;

  private SecurityFilters(List<HttpFilter> http, List<Filter> tcp) {
    this.http = List.copyOf(http);
    this.tcp = List.copyOf(tcp);
  }

  /** No policy applies. */
  static final SecurityFilters NONE = new SecurityFilters(List.of(), List.of());

  /** The filters of the policies that select {@code proxy}. */
  static SecurityFilters of(MeshSnapshot mesh, ProxyNode proxy) {
    List<ConfigEntry<Annotated<AuthorizationPolicy>>> selected =
        PolicySelection.authorization(mesh, proxy);
    List<ConfigEntry<RequestAuthentication>> authn = PolicySelection.authentication(mesh, proxy);
    if (selected.isEmpty() && authn.isEmpty()) {
      return NONE;
    }
    List<HttpFilter> jwt = new ArrayList<>();
    try {
      List<JwtPolicy> jwtPolicies = new ArrayList<>();
      authn.forEach(e -> jwtPolicies.add(new JwtPolicy(e.namespace(), e.name(), e.spec())));
      JwtFilterBuilder.build(
              jwtPolicies,
              keySets(mesh.policies().settings()),
              proxy.type() != ProxyNode.Type.SIDECAR)
          .ifPresent(jwt::add);
    } catch (RuntimeException e) {
      LOG.error(
          "cannot translate the RequestAuthentications of {}; it denies every request until they"
              + " change",
          proxy.id(),
          e);
      return denyAll();
    }
    if (selected.isEmpty()) {
      return new SecurityFilters(jwt, List.of());
    }
    List<AuthzPolicy> policies = selected.stream().map(SecurityFilters::authzPolicy).toList();
    AuthzOptions options = options(mesh.policies().settings());
    try {
      AuthzResult<HttpFilter> h = AuthzBuilder.http(policies, options);
      AuthzResult<Filter> t = AuthzBuilder.tcp(policies, options);
      report(proxy, h.problems());
      report(proxy, t.problems());
      List<HttpFilter> http = new ArrayList<>(jwt);
      http.addAll(h.filters());
      return new SecurityFilters(http, t.filters());
    } catch (RuntimeException e) {
      LOG.error(
          "cannot translate the AuthorizationPolicies of {}; it denies every request until they"
              + " change",
          proxy.id(),
          e);
      return denyAll();
    }
  }

  /**
   * The RBAC HTTP filters of a proxyless gRPC server, the only authorization filter gRPC
   * implements: CUSTOM (ext_authz) policies cannot be enforced there, so a workload that one
   * selects denies every request instead of ignoring it.
   */
  static List<HttpFilter> grpc(MeshSnapshot mesh, ProxyNode proxy) {
    List<ConfigEntry<Annotated<AuthorizationPolicy>>> selected =
        PolicySelection.authorization(mesh, proxy);
    if (selected.isEmpty()) {
      return List.of();
    }
    List<AuthzPolicy> policies = new ArrayList<>();
    for (var e : selected) {
      var action = e.spec().spec().getAction();
      if (action != null && action.name().equals("CUSTOM")) {
        LOG.warn(
            "CUSTOM AuthorizationPolicy {}/{} cannot be enforced by the proxyless gRPC server {};"
                + " it denies every request",
            e.namespace(),
            e.name(),
            proxy.id());
        return denyAll().http();
      }
      if (action != null && action.name().equals("DENY") && usesRequestAuth(e.spec().spec())) {
        LOG.warn(
            "DENY AuthorizationPolicy {}/{} matches JWT claims, which the proxyless gRPC server {}"
                + " cannot verify; it denies every request",
            e.namespace(),
            e.name(),
            proxy.id());
        return denyAll().http();
      }
      policies.add(authzPolicy(e));
    }
    try {
      AuthzResult<HttpFilter> h =
          AuthzBuilder.http(policies, options(mesh.policies().settings()), AuthzBuilder.Part.RBAC);
      report(proxy, h.problems());
      return h.filters();
    } catch (RuntimeException e) {
      LOG.error(
          "cannot translate the AuthorizationPolicies of {}; it denies every request",
          proxy.id(),
          e);
      return denyAll().http();
    }
  }

  /**
   * Whether a policy matches request principals or {@code request.auth.*} conditions: without a JWT
   * filter (gRPC has none) such a DENY rule would never match and so never deny.
   */
  private static boolean usesRequestAuth(AuthorizationPolicy spec) {
    if (spec.getRules() == null) {
      return false;
    }
    for (var rule : spec.getRules()) {
      if (rule.getFrom() != null) {
        for (var from : rule.getFrom()) {
          var src = from.getSource();
          if (src != null
              && ((src.getRequestPrincipals() != null && !src.getRequestPrincipals().isEmpty())
                  || (src.getNotRequestPrincipals() != null
                      && !src.getNotRequestPrincipals().isEmpty()))) {
            return true;
          }
        }
      }
      if (rule.getWhen() != null) {
        for (var when : rule.getWhen()) {
          if (when.getKey() != null && when.getKey().startsWith("request.auth.")) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Key sets from the snapshot: the rule's inline set, else the one the control plane resolved,
   * else a set that fails every token.
   */
  static KeySets keySets(SecuritySettings s) {
    return (issuer, uri, inline, timeout) ->
        DataSource.newBuilder()
            .setInlineString(
                inline != null && !inline.isEmpty()
                    ? inline
                    : s.keySets()
                        .getOrDefault(
                            SecuritySettings.keySetKey(issuer, uri), JwksResolver.FAIL_CLOSED_JWKS))
            .build();
  }

  static AuthzOptions options(SecuritySettings s) {
    return new AuthzOptions(
        s.trustDomain(), s.trustDomainAliases(), s.extensionProviders(), null, false);
  }

  private static void report(ProxyNode proxy, List<String> problems) {
    for (String p : problems) {
      LOG.debug("policy of {} left out: {}", proxy.id(), p);
    }
  }

  private static SecurityFilters denyAll() {
    return new SecurityFilters(
        List.of(AuthzBuilder.denyAllHttp()), List.of(AuthzBuilder.denyAllTcp()));
  }

  /** The builder's view of a policy entry of the snapshot. */
  static AuthzPolicy authzPolicy(ConfigEntry<Annotated<AuthorizationPolicy>> e) {
    return new AuthzPolicy(e.namespace(), e.name(), e.spec().annotations(), e.spec().spec());
  }

  /**
   * The chain with these filters in front: inside its HTTP connection manager when it has one,
   * before its other network filters otherwise.
   */
  FilterChain applyTo(FilterChain fc) {
    if (http.isEmpty() && tcp.isEmpty()) {
      return fc;
    }
    FilterChain.Builder b = fc.toBuilder().clearFilters();
    boolean hasHcm = fc.getFiltersList().stream().anyMatch(f -> f.getName().equals(HCM_NAME));
    if (!hasHcm) {
      b.addAllFilters(tcp);
    }
    for (Filter f : fc.getFiltersList()) {
      if (f.getName().equals(HCM_NAME)) {
        try {
          HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
          HttpConnectionManager.Builder hb =
              hcm.toBuilder().clearHttpFilters().addAllHttpFilters(http);
          hb.addAllHttpFilters(hcm.getHttpFiltersList());
          f = f.toBuilder().setTypedConfig(Any.pack(hb.build())).build();
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("connection manager of chain " + fc.getName(), e);
        }
      }
      b.addFilters(f);
    }
    return b.build();
  }

  private static final String HCM_NAME = ListenerGenerator.HCM;

  /** HTTP filters to put first in an inbound connection manager. */
  List<HttpFilter> http() {
    return http;
  }

  /** Network filters to put before an inbound chain's terminal filter. */
  List<Filter> tcp() {
    return tcp;
  }
}
