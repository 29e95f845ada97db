package dev.isthmus.controlplane.authz;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.type.matcher.v3.FilterStateMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * {@code Generators} turns one authorization attribute (a source, operation or {@code when} key)
 * and its values into Envoy RBAC permissions or principals. An attribute that does not apply to a
 * side (e.g. a source IP as a permission) or to TCP throws {@link RuleException}; the caller
 * decides whether that drops the whole rule (ALLOW) or only the attribute (DENY, AUDIT, CUSTOM).
 */
final class Generators {
  private Generators() {}

  static final String JWT_FILTER = "envoy.filters.http.jwt_authn";
  static final String JWT_PAYLOAD = "payload";
  static final String PEER_PRINCIPAL_STATE = "io.istio.peer_principal";

  /** A rule cannot be expressed; the message names the attribute. */
  static final class RuleException extends RuntimeException {
    /** True when the attribute is fine but needs HTTP, which a TCP filter chain lacks. */
    final boolean httpOnly;

    RuleException(String message) {
      this(message, false);
    }

    RuleException(String message, boolean httpOnly) {
      super(message);
      this.httpOnly = httpOnly;
    }
  }

  /** One attribute kind. Per-value generators build an OR; extended ones take all values. */
  interface Gen {
    default boolean extended() {
      return false;
    }

    default Permission permission(String key, String value, boolean tcp) {
      throw new RuleException(key + " is not a permission attribute");
    }

    default Principal principal(String key, String value, boolean tcp, boolean authenticated) {
      throw new RuleException(key + " is not a principal attribute");
    }

    default Permission permissions(String key, List<String> values, boolean tcp) {
      throw new RuleException(key + " is not a permission attribute");
    }

    default Principal principals(String key, List<String> values, boolean tcp) {
      throw new RuleException(key + " is not a principal attribute");
    }
  }

  private static void httpOnly(String key, boolean tcp) {
    if (tcp) {
      throw new RuleException("\"" + key + "\" is HTTP only", true);
    }
  }

  /** One permission for one value of the attribute {@code key}. */
  @FunctionalInterface
  interface PermissionOf {
    Permission of(String key, String value);
  }

  /** One principal for one value; {@code authn}: the peer identity comes from mTLS. */
  @FunctionalInterface
  interface PrincipalOf {
    Principal of(String key, String value, boolean authn);
  }

  /** An attribute of the destination, one permission per value, on TCP and HTTP. */
  private static Gen permission(PermissionOf of) {
    return new Gen() {
      @Override
      public Permission permission(String key, String value, boolean tcp) {
        return of.of(key, value);
      }
    };
  }

  /** An attribute of the request, one permission per value, on HTTP only. */
  private static Gen httpPermission(PermissionOf of) {
    return new Gen() {
      @Override
      public Permission permission(String key, String value, boolean tcp) {
        httpOnly(key, tcp);
        return of.of(key, value);
      }
    };
  }

  /** An attribute of the source, one principal per value. */
  private static Gen principal(PrincipalOf of) {
    return new Gen() {
      @Override
      public Principal principal(String key, String value, boolean tcp, boolean authn) {
        return of.of(key, value, authn);
      }
    };
  }

  /** An attribute of the request's JWT, one principal for all values, on HTTP only. */
  private static Gen httpPrincipals(BiFunction<String, List<String>, Principal> of) {
    return new Gen() {
      @Override
      public boolean extended() {
        return true;
      }

      @Override
      public Principal principals(String key, List<String> values, boolean tcp) {
        httpOnly(key, tcp);
        return of.apply(key, values);
      }
    };
  }

  static final Gen DEST_IP =
      permission(
          (key, value) -> Permission.newBuilder().setDestinationIp(cidr(key, value)).build());

  static final Gen DEST_PORT =
      permission((key, value) -> Permission.newBuilder().setDestinationPort(port(value)).build());

  static final Gen SNI =
      permission(
          (key, value) ->
              Permission.newBuilder().setRequestedServerName(Matchers.string(value)).build());

  /** {@code experimental.envoy.filters.a.b[c]}: dynamic metadata of filter a.b under key c. */
  static final Gen ENVOY_FILTER =
      new Gen() {
        @Override
        public boolean extended() {
          return true;
        }

        @Override
        public Permission permissions(String key, List<String> values, boolean tcp) {
          String trimmed = key.substring("experimental.".length());
          if (trimmed.endsWith("]")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
          }
          int open = trimmed.indexOf('[');
          if (open < 0) {
            throw new RuleException("invalid key: " + key);
          }
          String filter = trimmed.substring(0, open);
          String field = trimmed.substring(open + 1);
          List<ValueMatcher> matchers = new ArrayList<>();
          for (String v : values) {
            if (v.startsWith("[") && v.endsWith("]")) {
              String inner = v.replaceAll("^\\[+|]+$", "");
              matchers.add(Matchers.listOneOf(Matchers.value(Matchers.string(inner))));
            } else {
              matchers.add(Matchers.value(Matchers.string(v)));
            }
          }
          MetadataMatcher m = Matchers.metadata(filter, List.of(field), Matchers.or(matchers));
          return Permission.newBuilder().setMetadata(m).build();
        }
      };

  static final Gen SRC_IP =
      principal(
          (key, value, authn) ->
              Principal.newBuilder().setDirectRemoteIp(cidr(key, value)).build());

  static final Gen REMOTE_IP =
      principal(
          (key, value, authn) -> Principal.newBuilder().setRemoteIp(cidr(key, value)).build());

  static final Gen SRC_NAMESPACE =
      principal(
          (key, value, authn) -> {
            List<String> parts = new ArrayList<>();
            for (String p : value.split("\\*", -1)) {
              parts.add(Matchers.quote(p));
            }
            String ns = String.join(".*", parts);
            return authenticated(Matchers.regex(".*/ns/" + ns + "/.*"), authn);
          });

  static final Gen SRC_TRUST_DOMAIN =
      principal(
          (key, value, authn) -> {
            StringMatcher m;
            if (value.equals("*")) {
              m = Matchers.prefix("spiffe://", false);
            } else if (!value.contains("*")) {
              m = Matchers.prefix("spiffe://" + value + "/", false);
            } else {
              int star = value.indexOf('*');
              String escaped =
                  Matchers.quote(value.substring(0, star))
                      + "[^/]*"
                      + Matchers.quote(value.substring(star + 1));
              m = Matchers.regex("spiffe://" + escaped + "/.*");
            }
            return authenticated(m, authn);
          });

  /** Service accounts are {@code name} (in the policy's namespace) or {@code namespace/name}. */
  static Gen serviceAccount(String policyNamespace) {
    return principal(
        (key, value, authn) -> {
          int slash = value.indexOf('/');
          String ns = slash < 0 ? policyNamespace : value.substring(0, slash);
          String sa = slash < 0 ? value : value.substring(slash + 1);
          String regex =
              "spiffe://.+/ns/" + Matchers.quote(ns) + "/(.+/|)sa/" + Matchers.quote(sa) + "(/.+)?";
          return authenticated(Matchers.regex(regex), authn);
        });
  }

  static final Gen SRC_PRINCIPAL =
      principal(
          (key, value, authn) -> authenticated(Matchers.withPrefix(value, "spiffe://"), authn));

  private static final StringMatcher MATCH_ANY = Matchers.regex(".+");

  /** {@code iss/sub}; the issuer may itself contain slashes, so split at the last one. */
  static final Gen REQUEST_PRINCIPAL =
      httpPrincipals(
          (key, values) -> {
            List<Principal> or = new ArrayList<>();
            for (String v : values) {
              or.add(requestPrincipal(v));
            }
            if (or.isEmpty()) {
              return null;
            }
            return or.size() == 1 ? or.get(0) : Trees.principalOr(or);
          });

  private static Principal requestPrincipal(String value) {
    int idx = value.lastIndexOf('/');
    boolean found = idx >= 0;
    String iss = found ? value.substring(0, idx) : value;
    String sub = found ? value.substring(idx + 1) : "";
    StringMatcher matchIss;
    StringMatcher matchSub;
    if (value.equals("*")) {
      matchIss = MATCH_ANY;
      matchSub = MATCH_ANY;
    } else if (value.startsWith("*")) {
      if (found) {
        matchIss = iss.equals("*") ? MATCH_ANY : Matchers.suffix(iss.substring(1), false);
        matchSub = Matchers.exact(sub, false);
      } else {
        matchIss = MATCH_ANY;
        matchSub = Matchers.suffix(value.substring(1), false);
      }
    } else if (value.endsWith("*")) {
      if (found) {
        matchIss = Matchers.exact(iss, false);
        matchSub =
            sub.equals("*")
                ? MATCH_ANY
                : Matchers.prefix(sub.substring(0, sub.length() - 1), false);
      } else {
        matchIss = Matchers.prefix(value.substring(0, value.length() - 1), false);
        matchSub = MATCH_ANY;
      }
    } else {
      matchIss = Matchers.exact(iss, false);
      matchSub = Matchers.exact(sub, false);
    }
    return Trees.principalAnd(List.of(jwtClaim("iss", matchIss), jwtClaim("sub", matchSub)));
  }

  private static Principal jwtClaim(String claim, StringMatcher m) {
    return Principal.newBuilder()
        .setMetadata(Matchers.metadata(JWT_FILTER, List.of(JWT_PAYLOAD, claim), Matchers.value(m)))
        .build();
  }

  static Gen jwtList(List<String> claims) {
    return httpPrincipals((key, values) -> claimPrincipal(claims, values));
  }

  /** {@code request.auth.claims[a][b]}: the claim path is read from the key. */
  static final Gen REQUEST_CLAIMS =
      httpPrincipals(
          (key, values) ->
              claimPrincipal(
                  Keys.nestedNames(key.substring("request.auth.claims".length())), values));

  private static Principal claimPrincipal(List<String> claims, List<String> values) {
    List<String> path = new ArrayList<>();
    path.add(JWT_PAYLOAD);
    path.addAll(claims);
    return Principal.newBuilder()
        .setMetadata(Matchers.metadataListOrScalar(JWT_FILTER, path, Matchers.stringOr(values)))
        .build();
  }

  static final Gen REQUEST_HEADER =
      new Gen() {
        @Override
        public Principal principal(String key, String value, boolean tcp, boolean authn) {
          httpOnly(key, tcp);
          String name = Keys.nameInBrackets(key.substring("request.headers".length()));
          return Principal.newBuilder().setHeader(Matchers.header(name, value)).build();
        }
      };

  static final Gen HOST =
      httpPermission(
          (key, value) ->
              Permission.newBuilder().setHeader(Matchers.host(":authority", value)).build());

  static final Gen METHOD =
      httpPermission(
          (key, value) ->
              Permission.newBuilder().setHeader(Matchers.header(":method", value)).build());

  /** Paths with {@code {*}} or {@code {**}} are URI templates; others are plain path matchers. */
  static final Gen PATH =
      httpPermission(
          (key, value) -> {
            if (value.contains("{*}") || value.contains("{**}")) {
              String template = value.replace("{**}", "**").replace("{*}", "*");
              UriTemplateMatchConfig cfg =
                  UriTemplateMatchConfig.newBuilder().setPathTemplate(template).build();
              return Permission.newBuilder()
                  .setUriTemplate(
                      TypedExtensionConfig.newBuilder()
                          .setName("uri-template")
                          .setTypedConfig(Any.pack(cfg)))
                  .build();
            }
            return Permission.newBuilder().setUrlPath(Matchers.path(value)).build();
          });

  /**
   * Peer identity comes from the mTLS certificate, or, when the proxy learns it from a tunnel (e.g.
   * waypoints), from filter state.
   */
  static Principal authenticated(StringMatcher name, boolean useAuthenticated) {
    if (useAuthenticated) {
      return Principal.newBuilder()
          .setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(name))
          .build();
    }
    return Principal.newBuilder()
        .setFilterState(
            FilterStateMatcher.newBuilder().setKey(PEER_PRINCIPAL_STATE).setStringMatch(name))
        .build();
  }

  private static io.envoyproxy.envoy.config.core.v3.CidrRange cidr(String key, String value) {
    try {
      return Matchers.cidr(value);
    } catch (IllegalArgumentException e) {
      throw new RuleException(key + ": " + e.getMessage());
    }
  }

  private static int port(String value) {
    try {
      long p = value.matches("\\d{1,10}") ? Long.parseLong(value) : -1;
      if (p >= 0 && p <= 65535) {
        return (int) p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new RuleException("invalid port " + value);
  }
}
