package dev.isthmus.controlplane.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Runs Istio's authorization builder corpus: each input's policies, built with the options Istio's
 * own test uses for it, must give exactly the golden filters (compared as JSON trees after both
 * sides went through the same proto parser, so field order and default values do not matter).
 */
class AuthzConformanceTest {
  static final ObjectMapper JSON = JsonMapper.builder().build();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig
                  .getDescriptor())
          .build();

  static final String EXT_AUTHZ_HOST = "my-custom-ext-authz.foo.svc.cluster.local";

  /** The one ext_authz service Istio's test registers. */
  static final Map<String, Set<String>> SERVICES = Map.of(EXT_AUTHZ_HOST, Set.of("foo"));

  static final List<ExtensionProvider> GRPC_NO_NAMESPACE =
      List.of(ExtensionProvider.grpc("default", EXT_AUTHZ_HOST, 9000, null, true, "403", null));

  static final List<ExtensionProvider> GRPC =
      List.of(
          ExtensionProvider.grpc(
              "default",
              "foo/" + EXT_AUTHZ_HOST,
              9000,
              Duration.ofNanos(2_000_000),
              true,
              "403",
              new ExtensionProvider.RequestBody(4096, true, false)));

  static final List<ExtensionProvider> HTTP =
      List.of(
          new ExtensionProvider(
              "default",
              false,
              "foo/" + EXT_AUTHZ_HOST,
              9000,
              Duration.ofSeconds(10),
              "/check",
              true,
              "403",
              List.of("x-custom-id", "x-prefix-*", "*-suffix"),
              List.of("should-not-include-when-IncludeRequestHeadersInCheck-is-set"),
              Map.of("x-header-1", "value-1", "x-header-2", "value-2"),
              new ExtensionProvider.RequestBody(2048, true, true),
              List.of("Authorization", "x-prefix-*", "*-suffix"),
              List.of("Set-cookie", "x-prefix-*", "*-suffix"),
              List.of("Set-cookie", "x-prefix-*", "*-suffix")));

  static final List<ExtensionProvider> INVALID =
      List.of(
          new ExtensionProvider(
              "default",
              false,
              "foo/my-custom-ext-authz",
              999999,
              null,
              "check",
              false,
              "999",
              null,
              null,
              null,
              null,
              null,
              null,
              null));

  /**
   * One case: the input, the mesh providers (null: the policies are not CUSTOM and only RBAC
   * filters are built), the trust domain and aliases, and the golden files in filter order.
   */
  record Case(
      String name,
      boolean tcp,
      String input,
      List<ExtensionProvider> providers,
      String trustDomain,
      List<String> aliases,
      List<String> want) {
    Case extended() {
      return new Case(
          "extended-" + name,
          tcp,
          input,
          providers,
          trustDomain,
          aliases,
          want.stream().map(w -> "extended-" + w).toList());
    }
  }

  static Case http(String name, String input, List<ExtensionProvider> p, String... want) {
    return new Case(name, false, input, p, null, List.of(), List.of(want));
  }

  static Case httpTd(String name, String input, String td, List<String> aliases, String want) {
    return new Case(name, false, input, null, td, aliases, List.of(want));
  }

  static Case tcp(String name, List<ExtensionProvider> p, String... want) {
    return new Case(name, true, name + "-in.yaml", p, null, List.of(), List.of(want));
  }

  static final List<Case> HTTP_CASES =
      List.of(
          http("allow-empty-rule", "allow-empty-rule-in.yaml", null, "allow-empty-rule-out.yaml"),
          http("allow-full-rule", "allow-full-rule-in.yaml", null, "allow-full-rule-out.yaml"),
          http("allow-nil-rule", "allow-nil-rule-in.yaml", null, "allow-nil-rule-out.yaml"),
          http("allow-path", "allow-path-in.yaml", null, "allow-path-out.yaml"),
          http("audit-full-rule", "audit-full-rule-in.yaml", null, "audit-full-rule-out.yaml"),
          http(
              "custom-grpc-provider-no-namespace",
              "custom-simple-http-in.yaml",
              GRPC_NO_NAMESPACE,
              "custom-grpc-provider-no-namespace-out1.yaml",
              "custom-grpc-provider-no-namespace-out2.yaml"),
          http(
              "custom-grpc-provider",
              "custom-simple-http-in.yaml",
              GRPC,
              "custom-grpc-provider-out1.yaml",
              "custom-grpc-provider-out2.yaml"),
          http(
              "custom-http-provider",
              "custom-simple-http-in.yaml",
              HTTP,
              "custom-http-provider-out1.yaml",
              "custom-http-provider-out2.yaml"),
          http(
              "custom-bad-multiple-providers",
              "custom-bad-multiple-providers-in.yaml",
              HTTP,
              "custom-bad-multiple-providers-out1.yaml",
              "custom-bad-multiple-providers-out2.yaml"),
          http(
              "custom-bad-invalid-config",
              "custom-simple-http-in.yaml",
              INVALID,
              "custom-bad-out.yaml"),
          http(
              "deny-and-allow",
              "deny-and-allow-in.yaml",
              null,
              "deny-and-allow-out1.yaml",
              "deny-and-allow-out2.yaml"),
          http("deny-empty-rule", "deny-empty-rule-in.yaml", null, "deny-empty-rule-out.yaml"),
          http(
              "dry-run-allow-and-deny",
              "dry-run-allow-and-deny-in.yaml",
              null,
              "dry-run-allow-and-deny-out1.yaml",
              "dry-run-allow-and-deny-out2.yaml"),
          http("dry-run-allow", "dry-run-allow-in.yaml", null, "dry-run-allow-out.yaml"),
          http("dry-run-mix", "dry-run-mix-in.yaml", null, "dry-run-mix-out.yaml"),
          http(
              "multiple-policies", "multiple-policies-in.yaml", null, "multiple-policies-out.yaml"),
          http("single-policy", "single-policy-in.yaml", null, "single-policy-out.yaml"),
          httpTd(
              "trust-domain-one-alias",
              "simple-policy-td-aliases-in.yaml",
              "td1",
              List.of("cluster.local"),
              "simple-policy-td-aliases-out.yaml"),
          httpTd(
              "trust-domain-multiple-aliases",
              "simple-policy-multiple-td-aliases-in.yaml",
              "td1",
              List.of("cluster.local", "some-td"),
              "simple-policy-multiple-td-aliases-out.yaml"),
          httpTd(
              "trust-domain-wildcard-in-principal",
              "simple-policy-principal-with-wildcard-in.yaml",
              "td1",
              List.of("foobar"),
              "simple-policy-principal-with-wildcard-out.yaml"),
          httpTd(
              "trust-domain-aliases-in-source-principal",
              "td-aliases-source-principal-in.yaml",
              "new-td",
              List.of("old-td", "some-trustdomain"),
              "td-aliases-source-principal-out.yaml"),
          http("trust-domains-field", "trust-domains-in.yaml", null, "trust-domains-out.yaml"));

  static final List<Case> TCP_CASES =
      List.of(
          tcp("allow-both-http-tcp", null, "allow-both-http-tcp-out.yaml"),
          tcp("allow-only-http", null, "allow-only-http-out.yaml"),
          tcp("audit-both-http-tcp", null, "audit-both-http-tcp-out.yaml"),
          tcp(
              "custom-both-http-tcp",
              GRPC,
              "custom-both-http-tcp-out1.yaml",
              "custom-both-http-tcp-out2.yaml"),
          tcp("custom-only-http", HTTP),
          tcp("deny-both-http-tcp", null, "deny-both-http-tcp-out.yaml"),
          tcp("dry-run-mix", null, "dry-run-mix-out.yaml"));

  /**
   * The corpus leaves out the input that Istio's CUSTOM cases share; this one is written from what
   * those goldens require: two CUSTOM policies in {@code foo}, each on one exact path.
   */
  static final Map<String, String> OWN_INPUTS =
      Map.of(
          "http/custom-simple-http-in.yaml",
          """
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata: {name: httpbin-1, namespace: foo}
          spec:
            action: CUSTOM
            provider: {name: default}
            rules:
            - to: [{operation: {paths: [/httpbin1]}}]
          ---
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata: {name: httpbin-2, namespace: foo}
          spec:
            action: CUSTOM
            provider: {name: default}
            rules:
            - to: [{operation: {paths: [/httpbin2]}}]
          """);

  static Path corpus() {
    String dir = System.getProperty("conformance.authz.dir");
    if (dir != null) {
      return Path.of(dir).toAbsolutePath().normalize();
    }
    // Same anchor as the other corpus runners: the checkout's root, whose sibling is shared/.
    String root = System.getProperty("project.root", "..");
    return Path.of(root).resolve("../shared/conformance/istio-authz").toAbsolutePath().normalize();
  }

  @Test
  void buildsWhatIstioBuilds() throws IOException {
    Path dir = corpus();
    if (!Files.isDirectory(dir)) {
      if ("true".equals(System.getenv("CI"))) {
        fail("Istio authz corpus not found at " + dir);
      }
      assumeTrue(false, "Istio authz corpus not found at " + dir + "; skipping");
    }
    List<Case> cases = new ArrayList<>();
    HTTP_CASES.forEach(cases::add);
    HTTP_CASES.forEach(c -> cases.add(c.extended()));
    TCP_CASES.forEach(cases::add);

    int exact = 0;
    int run = 0;
    List<String> failed = new ArrayList<>();
    List<String> absent = new ArrayList<>();
    for (Case c : cases) {
      String base = c.tcp() ? "tcp/" : "http/";
      String input = read(dir, base + c.input());
      List<Path> wants = c.want().stream().map(w -> dir.resolve(base + w)).toList();
      if (input == null || !wants.stream().allMatch(Files::isRegularFile)) {
        absent.add(base + c.name());
        continue;
      }
      run++;
      String why = compare(c, input, wants);
      if (why == null) {
        exact++;
      } else {
        failed.add(base + c.name() + ": " + why);
      }
    }
    System.out.println("authz conformance: " + exact + "/" + run + " cases exact");
    failed.forEach(f -> System.out.println("  failed " + f));
    if (!absent.isEmpty()) {
      System.out.println("  not in corpus (not counted): " + absent);
    }
    assertThat(run).isGreaterThan(0);
    assertThat((double) exact / run).as("share of exact cases").isGreaterThanOrEqualTo(0.90);
  }

  private static String read(Path dir, String rel) throws IOException {
    Path p = dir.resolve(rel);
    if (Files.isRegularFile(p)) {
      return Files.readString(p);
    }
    return OWN_INPUTS.get(rel);
  }

  private static String compare(Case c, String input, List<Path> wants) throws IOException {
    List<AuthzPolicy> policies = policies(input);
    AuthzOptions o = new AuthzOptions(c.trustDomain(), c.aliases(), c.providers(), SERVICES, false);
    AuthzBuilder.Part part =
        c.providers() == null ? AuthzBuilder.Part.RBAC : AuthzBuilder.Part.CUSTOM;
    List<? extends Message> got =
        c.tcp()
            ? AuthzBuilder.tcp(policies, o, part).filters()
            : AuthzBuilder.http(policies, o, part).filters();
    if (got.size() != wants.size()) {
      return "built " + got.size() + " filters, want " + wants.size();
    }
    for (int i = 0; i < got.size(); i++) {
      JsonNode g = JSON.readTree(JsonFormat.printer().usingTypeRegistry(TYPES).print(got.get(i)));
      JsonNode w = golden(wants.get(i), c.tcp());
      if (!g.equals(w)) {
        return wants.get(i).getFileName() + " differs at " + firstDifference("", g, w);
      }
    }
    return null;
  }

  /** The JSON pointer of the first place where two trees differ, with both values. */
  static String firstDifference(String at, JsonNode got, JsonNode want) {
    if (got != null
        && want != null
        && got.isContainerNode()
        && got.getNodeType() == want.getNodeType()) {
      java.util.Set<String> keys = new java.util.TreeSet<>();
      if (got.isObject()) {
        got.fieldNames().forEachRemaining(keys::add);
        want.fieldNames().forEachRemaining(keys::add);
      } else {
        for (int i = 0; i < Math.max(got.size(), want.size()); i++) {
          keys.add(String.format("%05d", i));
        }
      }
      for (String k : keys) {
        JsonNode g = got.isObject() ? got.get(k) : got.get(Integer.parseInt(k));
        JsonNode w = want.isObject() ? want.get(k) : want.get(Integer.parseInt(k));
        if (!java.util.Objects.equals(g, w)) {
          String key = got.isObject() ? k : String.valueOf(Integer.parseInt(k));
          return firstDifference(at + "/" + key, g, w);
        }
      }
    }
    return (at.isEmpty() ? "/" : at) + ": got " + got + ", want " + want;
  }

  /** Reads a golden through the proto parser so both sides are in canonical JSON form. */
  static JsonNode golden(Path file, boolean tcp) throws IOException {
    JsonNode yaml = YAML.readTree(file.toFile());
    Message.Builder b = tcp ? Filter.newBuilder() : HttpFilter.newBuilder();
    JsonFormat.parser().usingTypeRegistry(TYPES).merge(JSON.writeValueAsString(yaml), b);
    return JSON.readTree(JsonFormat.printer().usingTypeRegistry(TYPES).print(b.build()));
  }

  static List<AuthzPolicy> policies(String yaml) throws IOException {
    List<AuthzPolicy> out = new ArrayList<>();
    YAMLParser parser = new YAMLFactory().createParser(yaml);
    for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
      if (doc == null || doc.isNull() || doc.isEmpty()) {
        continue;
      }
      out.add(AuthzPolicy.of(JSON.treeToValue(doc, AuthorizationPolicy.class)));
    }
    return out;
  }
}
