package dev.isthmus.controlplane.webhooks.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IstioConfigValidatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final IstioConfigValidator validator = new IstioConfigValidator();

  static Stream<Arguments> cases() throws Exception {
    try (InputStream in =
        IstioConfigValidatorTest.class.getResourceAsStream("/webhooks/validation/cases.yaml")) {
      JsonNode table = JSON.valueToTree(Serialization.unmarshal(in, Object.class));
      List<Arguments> out = new ArrayList<>();
      table.path("cases").forEach(c -> out.add(Arguments.of(c.path("name").asText(), c)));
      return out.stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void table(String name, JsonNode c) {
    ValidationResult r = validator.validate(c.path("object"));
    if (c.has("error")) {
      assertThat(r.allowed()).as(name).isFalse();
      assertThat(r.message())
          .as(name)
          .startsWith("configuration is invalid: ")
          .contains(c.path("error").asText());
    } else {
      assertThat(r.allowed()).as(name + ": " + r.message()).isTrue();
      if (c.has("warning")) {
        assertThat(r.warnings()).as(name).anyMatch(w -> w.contains(c.path("warning").asText()));
      } else {
        assertThat(r.warnings()).as(name).isEmpty();
      }
    }
  }

  @Test
  void tableHasAtLeastFortyRejections() throws Exception {
    assertThat(cases().filter(a -> ((JsonNode) a.get()[1]).has("error")).count())
        .isGreaterThanOrEqualTo(40);
  }

  @Test
  void reportsEveryErrorOfAnObject() {
    JsonNode vs =
        JSON.createObjectNode()
            .put("apiVersion", "networking.istio.io/v1")
            .put("kind", "VirtualService")
            .set(
                "spec",
                JSON.valueToTree(
                    java.util.Map.of(
                        "hosts",
                        List.of("a b"),
                        "http",
                        List.of(
                            java.util.Map.of(
                                "route",
                                List.of(java.util.Map.of("destination", java.util.Map.of())),
                                "timeout",
                                "x")))));
    ValidationResult r = validator.validate(vs);
    assertThat(r.allowed()).isFalse();
    assertThat(r.message())
        .contains("spec.hosts[0]")
        .contains("spec.http[0].route[0].destination.host")
        .contains("spec.http[0].timeout");
  }

  @Test
  void nonObjectIsDenied() {
    assertThat(validator.validate(JSON.getNodeFactory().textNode("x")).allowed()).isFalse();
  }

  @Test
  void durationsParseLikeGo() {
    assertThat(Checks.parseDurationNanos("1m30s")).isEqualTo(90_000_000_000L);
    assertThat(Checks.parseDurationNanos("1.5s")).isEqualTo(1_500_000_000L);
    assertThat(Checks.parseDurationNanos("100ms")).isEqualTo(100_000_000L);
    assertThat(Checks.parseDurationNanos("10")).isNull();
    assertThat(Checks.parseDurationNanos("s")).isNull();
  }
}
