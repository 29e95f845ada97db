package dev.isthmus.controlplane.authz;

import com.google.protobuf.Any;
import dev.isthmus.controlplane.authz.Generators.RuleException;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyProvider;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * {@code AuthzBuilder} turns the authorization policies that apply to one workload into the Envoy
 * filters that enforce them: for CUSTOM policies an RBAC filter that only marks matching requests
 * followed by the provider's ext_authz filter, then one RBAC filter each for AUDIT, DENY and ALLOW.
 * Policies marked {@code istio.io/dry-run} become shadow rules. It does no I/O and never throws on
 * bad input: what it cannot translate is left out and reported in {@link AuthzResult#problems()}.
 */
public final class AuthzBuilder {
  static final String HTTP_RBAC = "envoy.filters.http.rbac";
  static final String TCP_RBAC = "envoy.filters.network.rbac";
  static final String HTTP_EXT_AUTHZ = "envoy.filters.http.ext_authz";
  static final String TCP_EXT_AUTHZ = "envoy.filters.network.ext_authz";
  static final String TCP_STAT_PREFIX = "tcp.";
  static final String DRY_RUN_ALLOW = "istio_dry_run_allow_";
  static final String DRY_RUN_DENY = "istio_dry_run_deny_";
  static final String BAD_CUSTOM_SUFFIX = "-deny-due-to-bad-CUSTOM-action";

  /** {@code Part} selects which filters to build; a listener asks for all of them. */
  public enum Part {
    /** CUSTOM filters first, then AUDIT, DENY and ALLOW. */
    ALL,
    /** Only the filters of CUSTOM policies. */
    CUSTOM,
    /** Only the RBAC filters of AUDIT, DENY and ALLOW policies. */
    RBAC
  }

  private AuthzBuilder() {}

  /** {@code http} builds the HTTP filters for the policies of one workload. */
  public static AuthzResult<HttpFilter> http(List<AuthzPolicy> policies, AuthzOptions o) {
    return http(policies, o, Part.ALL);
  }

  /** {@code http} builds the HTTP filters of one part. */
  public static AuthzResult<HttpFilter> http(
      List<AuthzPolicy> policies, AuthzOptions o, Part part) {
    return build(policies, o, part, false, new HttpKind());
  }

  /** {@code tcp} builds the network filters for the policies of one workload. */
  public static AuthzResult<Filter> tcp(List<AuthzPolicy> policies, AuthzOptions o) {
    return tcp(policies, o, Part.ALL);
  }

  /**
   * {@code tcp} builds the network filters of one part. HTTP-only attributes make an ALLOW rule
   * match nothing and are dropped from DENY and AUDIT rules; CUSTOM policies with an HTTP provider
   * produce no network filter.
   */
  public static AuthzResult<Filter> tcp(List<AuthzPolicy> policies, AuthzOptions o, Part part) {
    return build(policies, o, part, true, new TcpKind());
  }

  /**
   * {@code denyAllHttp} is an HTTP RBAC filter that allows nothing (ALLOW with no policies), for a
   * workload whose policies cannot be enforced as written.
   */
  public static HttpFilter denyAllHttp() {
    return new HttpKind().rbac(RBAC.newBuilder().setAction(RBAC.Action.ALLOW).build(), null, null);
  }

  /** {@code denyAllTcp} is the network RBAC filter that allows nothing. */
  public static Filter denyAllTcp() {
    return new TcpKind().rbac(RBAC.newBuilder().setAction(RBAC.Action.ALLOW).build(), null, null);
  }

  /** Builds the filter of one kind (HTTP or network) from RBAC rules and ext_authz configs. */
  interface Kind<T> {
    T rbac(RBAC rules, RBAC shadowRules, String shadowPrefix);

    T extAuthz(ExtAuthzConfigs.Built built, String provider);
  }

  private static <T> AuthzResult<T> build(
      List<AuthzPolicy> policies, AuthzOptions o, Part part, boolean tcp, Kind<T> kind) {
    List<String> problems = new ArrayList<>();
    List<T> filters = new ArrayList<>();
    if (o == null) {
      o = AuthzOptions.of(null);
    }
    Map<AuthorizationPolicyAction, List<AuthzPolicy>> byAction = new TreeMap<>();
    for (AuthzPolicy p : policies == null ? List.<AuthzPolicy>of() : policies) {
      if (p == null || p.spec() == null) {
        problems.add("skipped a policy without spec");
        continue;
      }
      AuthorizationPolicyAction a =
          p.spec().getAction() == null ? AuthorizationPolicyAction.ALLOW : p.spec().getAction();
      byAction.computeIfAbsent(a, k -> new ArrayList<>()).add(p);
    }
    TrustDomains td = new TrustDomains(o.trustDomain(), o.trustDomainAliases());
    Rules rules = new Rules(td, tcp, !o.useFilterState(), problems);
    if (part != Part.RBAC) {
      List<AuthzPolicy> custom = byAction.getOrDefault(AuthorizationPolicyAction.CUSTOM, List.of());
      if (!custom.isEmpty()) {
        filters.addAll(custom(custom, o, rules, kind, problems));
      }
    }
    if (part != Part.CUSTOM) {
      rbac(byAction.get(AuthorizationPolicyAction.AUDIT), RBAC.Action.LOG, rules, kind, filters);
      rbac(byAction.get(AuthorizationPolicyAction.DENY), RBAC.Action.DENY, rules, kind, filters);
      rbac(byAction.get(AuthorizationPolicyAction.ALLOW), RBAC.Action.ALLOW, rules, kind, filters);
    }
    return new AuthzResult<>(filters, problems);
  }

  private static <T> void rbac(
      List<AuthzPolicy> policies, RBAC.Action action, Rules rules, Kind<T> kind, List<T> out) {
    if (policies == null || policies.isEmpty()) {
      return;
    }
    RBAC.Builder enforce = RBAC.newBuilder().setAction(action);
    RBAC.Builder shadow = RBAC.newBuilder().setAction(action);
    boolean anyEnforce = false;
    boolean anyShadow = false;
    for (AuthzPolicy p : policies) {
      boolean dryRun = rules.dryRun(p);
      anyShadow |= dryRun;
      anyEnforce |= !dryRun;
      rules.add(p, action, null, dryRun ? shadow : enforce);
    }
    RBAC e = anyEnforce ? enforce.build() : null;
    RBAC s = anyShadow ? shadow.build() : null;
    out.add(kind.rbac(e, s, shadowPrefix(s)));
  }

  /**
   * Mirrors Istio, where the prefix of absent shadow rules reads as the ALLOW prefix and AUDIT
   * shadow rules have none.
   */
  private static String shadowPrefix(RBAC shadow) {
    if (shadow == null || shadow.getAction() == RBAC.Action.ALLOW) {
      return DRY_RUN_ALLOW;
    }
    return shadow.getAction() == RBAC.Action.DENY ? DRY_RUN_DENY : "";
  }

  private static <T> List<T> custom(
      List<AuthzPolicy> policies,
      AuthzOptions o,
      Rules rules,
      Kind<T> kind,
      List<String> problems) {
    Map<String, ExtAuthzConfigs.Built> providers = ExtAuthzConfigs.resolve(o);
    Map<String, RBAC.Builder> enforce = new TreeMap<>();
    Map<String, RBAC.Builder> shadow = new TreeMap<>();
    for (AuthzPolicy p : policies) {
      String provider =
          p.spec().getActionDetail() instanceof AuthorizationPolicyProvider app
                  && app.getProvider() != null
                  && app.getProvider().getName() != null
              ? app.getProvider().getName()
              : "";
      enforce.computeIfAbsent(provider, k -> RBAC.newBuilder().setAction(RBAC.Action.DENY));
      shadow.computeIfAbsent(provider, k -> RBAC.newBuilder().setAction(RBAC.Action.DENY));
      boolean dryRun = rules.dryRun(p);
      rules.add(p, RBAC.Action.DENY, provider, (dryRun ? shadow : enforce).get(provider));
    }
    List<T> out = new ArrayList<>();
    if (enforce.size() > 1) {
      // Without a way to order several authorizers, the safe answer is to deny what they cover.
      problems.add(
          "multiple CUSTOM authorization providers per workload are not supported, found "
              + enforce.keySet());
      enforce.values().forEach(r -> out.add(kind.rbac(badCustom(r.build()), null, null)));
      return out;
    }
    for (String provider : enforce.keySet()) {
      ExtAuthzConfigs.Built built = providers.get(provider);
      if (built == null || !built.errors().isEmpty()) {
        problems.add(
            "failed to process CUSTOM action for provider "
                + provider
                + ", will generate deny configs: "
                + (built == null
                    ? "available providers are "
                        + providers.keySet()
                        + " but found \""
                        + provider
                        + "\""
                    : String.join("; ", built.errors())));
        out.add(kind.rbac(badCustom(enforce.get(provider).build()), null, null));
        continue;
      }
      T ext = kind.extAuthz(built, provider);
      if (ext == null) {
        continue;
      }
      // The RBAC filter never enforces here: it names the matching policy in dynamic metadata
      // and the ext_authz filter runs only for requests so named.
      RBAC s = shadow.get(provider).build();
      out.add(
          kind.rbac(
              s.getPoliciesCount() > 0 ? s : null,
              enforce.get(provider).build(),
              ExtAuthzConfigs.SHADOW_PREFIX));
      out.add(ext);
    }
    return out;
  }

  private static RBAC badCustom(RBAC rules) {
    RBAC.Builder b = RBAC.newBuilder().setAction(RBAC.Action.DENY);
    rules.getPoliciesMap().forEach((k, v) -> b.putPolicies(k + BAD_CUSTOM_SUFFIX, v));
    return b.build();
  }

  /** Translates the rules of policies into named RBAC policies, collecting problems. */
  static final class Rules {
    private final TrustDomains trustDomains;
    private final boolean tcp;
    private final boolean useAuthenticated;
    private final List<String> problems;

    Rules(TrustDomains td, boolean tcp, boolean useAuthenticated, List<String> problems) {
      this.trustDomains = td;
      this.tcp = tcp;
      this.useAuthenticated = useAuthenticated;
      this.problems = problems;
    }

    boolean dryRun(AuthzPolicy p) {
      String v = p.annotations().get(AuthzPolicy.DRY_RUN);
      if (v == null) {
        return false;
      }
      // Go's strconv.ParseBool spellings.
      switch (v) {
        case "1", "t", "T", "true", "TRUE", "True":
          return true;
        case "0", "f", "F", "false", "FALSE", "False":
          return false;
        default:
          problems.add(
              "ns["
                  + p.namespace()
                  + "]-policy["
                  + p.name()
                  + "]: invalid "
                  + AuthzPolicy.DRY_RUN
                  + " value \""
                  + v
                  + "\", expected true or false");
          return false;
      }
    }

    void add(AuthzPolicy p, RBAC.Action action, String provider, RBAC.Builder into) {
      List<Rule> list = RuleModel.nn(p.spec().getRules());
      for (int i = 0; i < list.size(); i++) {
        String name = name(p, i, provider);
        Rule r = list.get(i);
        if (r == null) {
          problems.add("skipped nil rule " + name);
          continue;
        }
        try {
          RuleModel m = RuleModel.of(p.namespace(), r);
          m.migrateTrustDomain(trustDomains);
          Policy generated =
              m.generate(
                  tcp,
                  useAuthenticated,
                  action,
                  why -> problems.add("ignored a value of rule " + name + ": " + why));
          into.putPolicies(name, generated);
        } catch (RuleException e) {
          // An ALLOW rule needing HTTP on a TCP chain is expected to match nothing there.
          if (!(e.httpOnly && tcp)) {
            problems.add("skipped rule " + name + ": " + e.getMessage());
          }
        } catch (RuntimeException e) {
          // Malformed input (e.g. a null list element) must cost one rule, not the workload's
          // config.
          problems.add("skipped rule " + name + ": " + e);
        }
      }
      if (list.isEmpty()) {
        into.putPolicies(name(p, 0, provider), Trees.MATCH_NEVER);
      }
    }

    /**
     * Also the key the ext_authz filter finds in dynamic metadata, so the format is fixed; a null
     * provider means the policy is not CUSTOM.
     */
    private String name(AuthzPolicy p, int rule, String provider) {
      String prefix = "";
      if (provider != null) {
        prefix = ExtAuthzConfigs.MATCH_PREFIX + "-" + (provider.isEmpty() ? "" : provider + "-");
      }
      return prefix + "ns[" + p.namespace() + "]-policy[" + p.name() + "]-rule[" + rule + "]";
    }
  }

  /**
   * Sets what is given of the rules, shadow rules and shadow stat prefix, through the setters of
   * the HTTP or the network RBAC filter config (two protos with the same three fields).
   */
  private static void setRules(
      RBAC rules,
      RBAC shadow,
      String shadowPrefix,
      Consumer<RBAC> setRules,
      Consumer<RBAC> setShadow,
      Consumer<String> setShadowPrefix) {
    if (rules != null) {
      setRules.accept(rules);
    }
    if (shadow != null) {
      setShadow.accept(shadow);
    }
    if (shadowPrefix != null) {
      setShadowPrefix.accept(shadowPrefix);
    }
  }

  private static final class HttpKind implements Kind<HttpFilter> {
    @Override
    public HttpFilter rbac(RBAC rules, RBAC shadow, String shadowPrefix) {
      var b = io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder();
      setRules(
          rules, shadow, shadowPrefix, b::setRules, b::setShadowRules, b::setShadowRulesStatPrefix);
      return HttpFilter.newBuilder().setName(HTTP_RBAC).setTypedConfig(Any.pack(b.build())).build();
    }

    @Override
    public HttpFilter extAuthz(ExtAuthzConfigs.Built built, String provider) {
      var cfg =
          built.http().toBuilder()
              .setFilterEnabledMetadata(
                  ExtAuthzConfigs.enabledBy(
                      HTTP_RBAC, ExtAuthzConfigs.MATCH_PREFIX + "-" + provider))
              .build();
      return HttpFilter.newBuilder().setName(HTTP_EXT_AUTHZ).setTypedConfig(Any.pack(cfg)).build();
    }
  }

  private static final class TcpKind implements Kind<Filter> {
    @Override
    public Filter rbac(RBAC rules, RBAC shadow, String shadowPrefix) {
      var b =
          io.envoyproxy
              .envoy
              .extensions
              .filters
              .network
              .rbac
              .v3
              .RBAC
              .newBuilder()
              .setStatPrefix(TCP_STAT_PREFIX);
      setRules(
          rules, shadow, shadowPrefix, b::setRules, b::setShadowRules, b::setShadowRulesStatPrefix);
      return Filter.newBuilder().setName(TCP_RBAC).setTypedConfig(Any.pack(b.build())).build();
    }

    @Override
    public Filter extAuthz(ExtAuthzConfigs.Built built, String provider) {
      if (built.tcp() == null) {
        return null;
      }
      var cfg =
          built.tcp().toBuilder()
              .setFilterEnabledMetadata(
                  ExtAuthzConfigs.enabledBy(
                      TCP_RBAC, ExtAuthzConfigs.MATCH_PREFIX + "-" + provider))
              .build();
      return Filter.newBuilder().setName(TCP_EXT_AUTHZ).setTypedConfig(Any.pack(cfg)).build();
    }
  }
}
