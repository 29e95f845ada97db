package dev.isthmus.controlplane.authn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/**
 * RequestAuthentications for one workload against the jwt_authn configuration istiod would send;
 * the table is {@code authn/jwt-filter-cases.yaml}.
 */
class JwtFilterBuilderTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JwksServer server;
  private static JwksResolver resolver;

  @BeforeAll
  static void start() throws IOException {
    server = new JwksServer();
    resolver = new JwksResolver();
  }

  @AfterAll
  static void stop() {
    resolver.close();
    server.close();
  }

  static Stream<Arguments> cases() throws IOException {
    JsonNode table;
    try (InputStream in =
        JwtFilterBuilderTest.class.getResourceAsStream("/authn/jwt-filter-cases.yaml")) {
      // SnakeYAML resolves the anchors the table uses for repeated blocks; Jackson's tree does not.
      table = JSON.valueToTree(new Yaml().load(in));
    }
    List<Arguments> out = new ArrayList<>();
    for (JsonNode c : table.get("cases")) {
      out.add(Arguments.of(c.get("name").asText(), c));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void buildsTheFilterIstiodWould(String name, JsonNode raw) throws Exception {
    JsonNode c = substitute(raw, Map.of("${SERVER}", server.url(), "${KEYS}", JwksServer.KEYS_A));
    List<JwtPolicy> policies = new ArrayList<>();
    for (JsonNode p : c.get("policies")) {
      RequestAuthentication ra = JSON.treeToValue(p, RequestAuthentication.class);
      policies.add(
          new JwtPolicy(ra.getMetadata().getNamespace(), ra.getMetadata().getName(), ra.getSpec()));
    }
    boolean clearRouteCache = c.path("clearRouteCache").asBoolean(false);

    Optional<JwtAuthentication> config =
        JwtFilterBuilder.config(policies, resolver, clearRouteCache);

    JsonNode expected = c.get("expected");
    if (expected.isNull()) {
      assertThat(config).isEmpty();
      return;
    }
    assertThat(config).isPresent();
    JsonNode actual = JSON.readTree(JsonFormat.printer().print(config.get()));
    assertThat(sortedFields(actual).toPrettyString())
        .isEqualTo(sortedFields(expected).toPrettyString());
  }

  @Test
  void theFilterCarriesTheConfigUnderTheEnvoyName() throws Exception {
    RequestAuthentication ra =
        YAML.readValue(
            """
            metadata: {namespace: foo, name: jwt}
            spec:
              jwtRules:
                - issuer: https://secret.foo.com
                  jwks: inline-keys
            """,
            RequestAuthentication.class);
    List<JwtPolicy> policies = List.of(new JwtPolicy("foo", "jwt", ra.getSpec()));

    HttpFilter filter = JwtFilterBuilder.build(policies, resolver).orElseThrow();

    assertThat(filter.getName()).isEqualTo("envoy.filters.http.jwt_authn");
    assertThat(filter.getTypedConfig().unpack(JwtAuthentication.class))
        .isEqualTo(JwtFilterBuilder.config(policies, resolver, false).orElseThrow());
  }

  @Test
  void noPoliciesNoFilter() {
    assertThat(JwtFilterBuilder.build(List.of(), resolver)).isEmpty();
    assertThat(JwtFilterBuilder.build(List.of(new JwtPolicy("foo", "nil", null)), resolver))
        .isEmpty();
  }

  private static JsonNode substitute(JsonNode node, Map<String, String> values) {
    if (node.isTextual()) {
      String text = node.asText();
      for (Map.Entry<String, String> v : values.entrySet()) {
        text = text.replace(v.getKey(), v.getValue());
      }
      return TextNode.valueOf(text);
    }
    if (node.isObject()) {
      ObjectNode copy = JSON.createObjectNode();
      node.fields().forEachRemaining(f -> copy.set(f.getKey(), substitute(f.getValue(), values)));
      return copy;
    }
    if (node.isArray()) {
      var copy = JSON.createArrayNode();
      node.forEach(e -> copy.add(substitute(e, values)));
      return copy;
    }
    return node;
  }

  /** Field order in the case file is free; the printer's is fixed, so both are sorted. */
  private static JsonNode sortedFields(JsonNode node) throws IOException {
    return JSON.readTree(
        JSON.copy()
            .configure(
                com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .writeValueAsString(JSON.treeToValue(node, Object.class)));
  }
}
