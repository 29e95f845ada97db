package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SetFlagsTest {
  @ParameterizedTest
  @CsvSource({
    "values.pilot.replicaCount, 3, 3, int",
    "values.pilot.traceSampling, 0.5, 0.5, float",
    "values.pilot.autoscaleEnabled, false, false, bool",
    "values.global.hub, docker.io/x, docker.io/x, string",
    "tag, 1, 1, string",
    "components.pilot.tag, 2, 2, string",
    "meshConfig.defaultConfig.proxyMetadata.FOO, 10, 10, string",
    "values.global.proxy.includeIPRanges, 10.0.0.0/8, 10.0.0.0/8, string",
  })
  void parsesValuesByType(String path, String raw, String text, String type) {
    var n = SetFlags.parse(path, raw);
    assertThat(n.asText()).isEqualTo(text);
    switch (type) {
      case "int" -> assertThat(n.isIntegralNumber()).isTrue();
      case "float" -> assertThat(n.isFloatingPointNumber()).isTrue();
      case "bool" -> assertThat(n.isBoolean()).isTrue();
      default -> assertThat(n.isTextual()).isTrue();
    }
  }

  @Test
  void setsCreateMissingKeysAndSelectListElements() {
    var spec = Yamls.object();
    spec.putArray("list").addObject().put("name", "a");
    List<String> errors = new ArrayList<>();
    SetFlags.apply(spec, "values.global.proxy.logLevel=debug", errors);
    SetFlags.apply(spec, "list.[name:a].x=1", errors);
    SetFlags.apply(spec, "spec.revision=r1", errors);
    assertThat(errors).isEmpty();
    assertThat(spec.at("/values/global/proxy/logLevel").asText()).isEqualTo("debug");
    assertThat(spec.at("/list/0/x").asInt()).isEqualTo(1);
    assertThat(spec.at("/revision").asText()).isEqualTo("r1");
  }

  @Test
  void malformedFlagsAreErrors() {
    List<String> errors = new ArrayList<>();
    SetFlags.apply(Yamls.object(), "novalue", errors);
    SetFlags.apply(Yamls.object(), "list.[name:a].x=1", errors);
    assertThat(errors).hasSize(2);
    assertThat(errors.get(0)).startsWith("--set novalue: expected PATH=VALUE");
    assertThat(errors.get(1)).startsWith("--set list.[name:a].x: ");
  }
}
