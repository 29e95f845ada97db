package dev.isthmus.controlplane.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExtensionProviderTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void readsExtAuthzProvidersFromMeshConfigAndSkipsOtherKinds() throws Exception {
    String mesh =
        """
        extensionProviders:
        - name: otel
          opentelemetry: {service: otel.istio-system.svc.cluster.local, port: 4317}
        - name: default
          envoyExtAuthzHttp:
            service: foo/my-custom-ext-authz.foo.svc.cluster.local
            port: 9000
            timeout: 10s
            failOpen: true
            statusOnError: "403"
            pathPrefix: /check
            includeRequestHeadersInCheck: [x-custom-id, x-prefix-*, "*-suffix"]
            includeHeadersInCheck: [should-not-include-when-IncludeRequestHeadersInCheck-is-set]
            includeAdditionalHeadersInCheck: {x-header-2: value-2, x-header-1: value-1}
            includeRequestBodyInCheck: {maxRequestBytes: 2048, allowPartialMessage: true, packAsBytes: true}
            headersToUpstreamOnAllow: [Authorization, x-prefix-*, "*-suffix"]
            headersToDownstreamOnDeny: [Set-cookie, x-prefix-*, "*-suffix"]
            headersToDownstreamOnAllow: [Set-cookie, x-prefix-*, "*-suffix"]
        """;
    List<ExtensionProvider> got = ExtensionProvider.fromMeshConfig(YAML.readTree(mesh));
    assertThat(got).isEqualTo(AuthzConformanceTest.HTTP);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"10s, 10000", "0.002s, 2", "1m30s, 90000", "500ms, 500", "1h, 3600000"})
  void readsDurationsInProtoAndGoSpelling(String text, long millis) {
    assertThat(ExtensionProvider.parseDuration(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"10", "s", "1x", "1s junk"})
  void rejectsDurationsItCannotRead(String text) {
    assertThatThrownBy(() -> ExtensionProvider.parseDuration(text))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aProviderWithErrorsDeniesWhatItsPoliciesCover() {
    AuthzOptions o =
        new AuthzOptions(
            "cluster.local",
            List.of(),
            AuthzConformanceTest.INVALID,
            AuthzConformanceTest.SERVICES,
            false);
    AuthzPolicy p =
        new AuthzPolicy(
            "foo",
            "c",
            java.util.Map.of(),
            new io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyBuilder()
                .withAction(
                    io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction.CUSTOM)
                .withNewAuthorizationPolicyProviderActionDetail()
                .withNewProvider()
                .withName("default")
                .endProvider()
                .endAuthorizationPolicyProviderActionDetail()
                .withRules(new io.fabric8.istio.api.api.security.v1beta1.Rule())
                .build());
    var r = AuthzBuilder.http(List.of(p), o);
    assertThat(r.filters()).hasSize(1);
    assertThat(r.problems())
        .singleElement()
        .asString()
        .contains("port must be in the range", "could not find service", "pathPrefix", "999");
  }
}
