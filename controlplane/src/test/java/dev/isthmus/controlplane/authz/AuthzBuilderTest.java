package dev.isthmus.controlplane.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyBuilder;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleBuilder;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AuthzBuilderTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode json(MessageOrBuilder m) throws Exception {
    return JSON.readTree(
        JsonFormat.printer().usingTypeRegistry(AuthzConformanceTest.TYPES).print(m));
  }

  static AuthzPolicy policy(AuthorizationPolicyAction action, Rule... rules) {
    return new AuthzPolicy(
        "foo",
        "p",
        Map.of(),
        new AuthorizationPolicyBuilder().withAction(action).withRules(rules).build());
  }

  /** Builds one policy and returns its RBAC rules (the enforced ones) of the single filter. */
  static RBAC rules(boolean tcp, AuthzOptions o, AuthzPolicy p, List<String> problems)
      throws InvalidProtocolBufferException {
    if (tcp) {
      AuthzResult<io.envoyproxy.envoy.config.listener.v3.Filter> r =
          AuthzBuilder.tcp(List.of(p), o);
      problems.addAll(r.problems());
      return r.filters()
          .get(0)
          .getTypedConfig()
          .unpack(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class)
          .getRules();
    }
    var r = AuthzBuilder.http(List.of(p), o);
    problems.addAll(r.problems());
    return r.filters()
        .get(0)
        .getTypedConfig()
        .unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)
        .getRules();
  }

  static Policy only(RBAC rbac) {
    assertThat(rbac.getPoliciesMap()).containsOnlyKeys("ns[foo]-policy[p]-rule[0]");
    return rbac.getPoliciesMap().get("ns[foo]-policy[p]-rule[0]");
  }

  static Stream<Arguments> paths() {
    return Stream.of(
        Arguments.of("/exact", "{'urlPath':{'path':{'exact':'/exact'}}}"),
        Arguments.of("/api/*", "{'urlPath':{'path':{'prefix':'/api/'}}}"),
        Arguments.of("*.html", "{'urlPath':{'path':{'suffix':'.html'}}}"),
        Arguments.of("*", "{'urlPath':{'path':{'safeRegex':{'regex':'.+'}}}}"),
        Arguments.of(
            "/a/{*}/b/{**}",
            "{'uriTemplate':{'name':'uri-template','typedConfig':{'@type':"
                + "'type.googleapis.com/envoy.extensions.path.match.uri_template.v3."
                + "UriTemplateMatchConfig','pathTemplate':'/a/*/b/**'}}}"));
  }

  @ParameterizedTest(name = "path {0}")
  @MethodSource("paths")
  void pathsBecomePathMatchersOrUriTemplates(String path, String want) throws Exception {
    Rule r =
        new RuleBuilder()
            .addNewTo()
            .withNewOperation()
            .withPaths(path)
            .endOperation()
            .endTo()
            .build();
    Policy p =
        only(
            rules(
                false,
                AuthzOptions.of("cluster.local"),
                policy(null, r),
                new java.util.ArrayList<>()));
    JsonNode got = json(p.getPermissions(0)).at("/andRules/rules/0/orRules/rules/0");
    assertThat(got).isEqualTo(JSON.readTree(want.replace('\'', '"')));
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource({
    "10.1.2.3, 10.1.2.3, 32",
    "10.0.0.0/8, 10.0.0.0, 8",
    "2001:0DB8::/32, 2001:db8::, 32",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1, 128",
    "::, ::, 128",
    "::ffff:1.2.3.4, ::ffff:1.2.3.4, 128",
    "300.1.1.1, , ",
    "01.1.1.1, , ",
    "10.0.0.0/33, , ",
    "1::2::3, , ",
    "example.com, , "
  })
  void addressesBecomeCanonicalCidrRanges(String in, String prefix, Integer len) {
    if (prefix == null) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Matchers.cidr(in))
          .isInstanceOf(IllegalArgumentException.class);
      return;
    }
    var cidr = Matchers.cidr(in);
    assertThat(cidr.getAddressPrefix()).isEqualTo(prefix);
    assertThat(cidr.getPrefixLen().getValue()).isEqualTo(len);
  }

  static Stream<Arguments> principals() {
    return Stream.of(
        // td, aliases, principal, expected principals
        Arguments.of("td1", List.of(), "td1/ns/a/sa/b", List.of("td1/ns/a/sa/b")),
        Arguments.of(
            "td1",
            List.of("cluster.local"),
            "cluster.local/ns/a/sa/b",
            List.of("td1/ns/a/sa/b", "cluster.local/ns/a/sa/b")),
        Arguments.of(
            "td1",
            List.of("old", "older"),
            "old/ns/a/sa/b",
            List.of("td1/ns/a/sa/b", "old/ns/a/sa/b", "older/ns/a/sa/b")),
        // Another mesh's principal is kept as written.
        Arguments.of("td1", List.of("old"), "other/ns/a/sa/b", List.of("other/ns/a/sa/b")),
        // Any trust domain, or not a SPIFFE path at all: nothing to rewrite.
        Arguments.of("td1", List.of("old"), "*/ns/a/sa/b", List.of("*/ns/a/sa/b")),
        Arguments.of("td1", List.of("old"), "principal-*", List.of("principal-*")),
        // No trust domain configured: nothing to rewrite to, so the principal must not vanish.
        Arguments.of(
            null, List.of(), "cluster.local/ns/a/sa/b", List.of("cluster.local/ns/a/sa/b")));
  }

  @ParameterizedTest(name = "{2} in {0}+{1}")
  @MethodSource("principals")
  void principalsAreExpandedToTrustDomainAliases(
      String td, List<String> aliases, String principal, List<String> want) {
    assertThat(new TrustDomains(td, aliases).replaceAliases(List.of(principal))).isEqualTo(want);
  }

  static Stream<Arguments> conditions() {
    String jwt = "'filter':'envoy.filters.http.jwt_authn','path':[{'key':'payload'}";
    return Stream.of(
        Arguments.of(
            "request.headers[X-Foo]",
            "bar*",
            "/principals/0/andIds/ids/0/orIds/ids/0",
            "{'header':{'name':'X-Foo','stringMatch':{'prefix':'bar'}}}"),
        Arguments.of(
            "source.ip",
            "10.0.0.0/8",
            "/principals/0/andIds/ids/0/orIds/ids/0",
            "{'directRemoteIp':{'addressPrefix':'10.0.0.0','prefixLen':8}}"),
        Arguments.of(
            "remote.ip",
            "1.2.3.4",
            "/principals/0/andIds/ids/0/orIds/ids/0",
            "{'remoteIp':{'addressPrefix':'1.2.3.4','prefixLen':32}}"),
        Arguments.of(
            "source.namespace",
            "team-*",
            "/principals/0/andIds/ids/0/orIds/ids/0",
            "{'authenticated':{'principalName':{'safeRegex':{'regex':'.*/ns/team-.*/.*'}}}}"),
        Arguments.of(
            "source.principal",
            "*/sa/bot",
            "/principals/0/andIds/ids/0/orIds/ids/0",
            "{'authenticated':{'principalName':{'safeRegex':{'regex':'spiffe://.*/sa/bot'}}}}"),
        Arguments.of(
            "request.auth.principal",
            "https://issuer/*",
            "/principals/0/andIds/ids/0",
            "{'andIds':{'ids':[{'metadata':{"
                + jwt
                + ",{'key':'iss'}],'value':{'stringMatch':{'exact':'https://issuer'}}}},"
                + "{'metadata':{"
                + jwt
                + ",{'key':'sub'}],'value':{'stringMatch':{'safeRegex':{'regex':'.+'}}}}}]}}"),
        Arguments.of(
            "request.auth.claims[groups][admin]",
            "yes",
            "/principals/0/andIds/ids/0",
            "{'metadata':{"
                + jwt
                + ",{'key':'groups'},{'key':'admin'}],'value':{'orMatch':{'valueMatchers':["
                + "{'listMatch':{'oneOf':{'stringMatch':{'exact':'yes'}}}},"
                + "{'stringMatch':{'exact':'yes'}}]}}}}"),
        Arguments.of(
            "destination.port",
            "8080",
            "/permissions/0/andRules/rules/0/orRules/rules/0",
            "{'destinationPort':8080}"),
        Arguments.of(
            "connection.sni",
            "*.example.com",
            "/permissions/0/andRules/rules/0/orRules/rules/0",
            "{'requestedServerName':{'suffix':'.example.com'}}"),
        Arguments.of(
            "experimental.envoy.filters.network.mysql_proxy[db.table]",
            "[update]",
            "/permissions/0/andRules/rules/0",
            "{'metadata':{'filter':'envoy.filters.network.mysql_proxy','path':[{'key':'db.table'}],"
                + "'value':{'listMatch':{'oneOf':{'stringMatch':{'exact':'update'}}}}}}"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("conditions")
  void whenConditionsJoinPrincipalsOrPermissions(String key, String value, String at, String want)
      throws Exception {
    Rule r = new RuleBuilder().addNewWhen().withKey(key).withValues(value).endWhen().build();
    List<String> problems = new java.util.ArrayList<>();
    Policy p = only(rules(false, AuthzOptions.of("cluster.local"), policy(null, r), problems));
    assertThat(problems).isEmpty();
    assertThat(json(p).at(at)).isEqualTo(JSON.readTree(want.replace('\'', '"')));
  }

  static Stream<Arguments> onTcp() {
    Rule methods =
        new RuleBuilder()
            .addNewTo()
            .withNewOperation()
            .withMethods("GET")
            .endOperation()
            .endTo()
            .build();
    Rule badIp =
        new RuleBuilder()
            .addNewFrom()
            .withNewSource()
            .withIpBlocks("300.1.1.1")
            .endSource()
            .endFrom()
            .build();
    Rule unknownKey =
        new RuleBuilder().addNewWhen().withKey("source.color").withValues("red").endWhen().build();
    return Stream.of(
        // action, tcp, rule, rule kept, its principal and permission are "any", problem
        // (substring, or null for none). What DENY cannot express is dropped, so the deny
        // covers more, never less; ALLOW loses the whole rule.
        Arguments.of(AuthorizationPolicyAction.ALLOW, true, methods, false, false, null),
        Arguments.of(AuthorizationPolicyAction.DENY, true, methods, true, true, null),
        Arguments.of(AuthorizationPolicyAction.ALLOW, false, methods, true, false, null),
        Arguments.of(
            AuthorizationPolicyAction.ALLOW, false, badIp, false, false, "invalid IP address"),
        Arguments.of(AuthorizationPolicyAction.DENY, false, badIp, true, true, "ignored a value"),
        Arguments.of(
            AuthorizationPolicyAction.DENY, false, unknownKey, false, false, "unknown attribute"));
  }

  @ParameterizedTest(name = "{0} tcp={1} #{index}")
  @MethodSource("onTcp")
  void rulesThatCannotApplyMatchLessForAllowAndMoreForDeny(
      AuthorizationPolicyAction action,
      boolean tcp,
      Rule rule,
      boolean kept,
      boolean matchesAll,
      String problem)
      throws Exception {
    List<String> problems = new java.util.ArrayList<>();
    RBAC rbac = rules(tcp, AuthzOptions.of("cluster.local"), policy(action, rule), problems);
    assertThat(rbac.getPoliciesMap().containsKey("ns[foo]-policy[p]-rule[0]")).isEqualTo(kept);
    if (problem == null) {
      assertThat(problems).isEmpty();
    } else {
      assertThat(problems).anyMatch(m -> m.contains(problem));
    }
    if (kept) {
      JsonNode p = json(only(rbac));
      boolean any =
          p.at("/permissions/0/andRules/rules/0/any").asBoolean()
              && p.at("/principals/0/andIds/ids/0/any").asBoolean();
      assertThat(any).isEqualTo(matchesAll);
    }
  }

  @Test
  void filtersRunCustomThenAuditThenDenyThenAllow() {
    AuthzPolicy custom =
        new AuthzPolicy(
            "foo",
            "c",
            Map.of(),
            new AuthorizationPolicyBuilder()
                .withAction(AuthorizationPolicyAction.CUSTOM)
                .withNewAuthorizationPolicyProviderActionDetail()
                .withNewProvider()
                .withName("default")
                .endProvider()
                .endAuthorizationPolicyProviderActionDetail()
                .withRules(new Rule())
                .build());
    AuthzOptions o =
        new AuthzOptions(
            "cluster.local",
            List.of(),
            AuthzConformanceTest.GRPC,
            AuthzConformanceTest.SERVICES,
            false);
    var r =
        AuthzBuilder.http(
            List.of(
                policy(AuthorizationPolicyAction.ALLOW, new Rule()),
                policy(AuthorizationPolicyAction.DENY, new Rule()),
                custom,
                policy(AuthorizationPolicyAction.AUDIT, new Rule())),
            o);
    assertThat(r.problems()).isEmpty();
    assertThat(r.filters())
        .extracting(f -> f.getName() + ":" + actionOf(f))
        .containsExactly(
            "envoy.filters.http.rbac:shadow DENY",
            "envoy.filters.http.ext_authz:",
            "envoy.filters.http.rbac:LOG",
            "envoy.filters.http.rbac:DENY",
            "envoy.filters.http.rbac:ALLOW");
  }

  private static String actionOf(
      io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter f) {
    try {
      if (!f.getTypedConfig().is(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)) {
        return "";
      }
      var rbac =
          f.getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class);
      return rbac.hasRules()
          ? rbac.getRules().getAction().name()
          : "shadow " + rbac.getShadowRules().getAction().name();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
