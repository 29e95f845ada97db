package dev.isthmus.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.translate.Translator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The control-plane image runs under the istiod Deployment Istio's charts render: its container
 * arguments are pilot-discovery's ({@code discovery --monitoringAddr=:15014 ...}). Each takes
 * effect; anything else is refused by name.
 */
class DiscoveryCommandTest {
  @Test
  void theRenderedIstiodArgumentsBecomeTheConfiguration() {
    List<String> args =
        istiodArgs(
            "values.pilot.keepaliveMaxServerConnectionAge=5m",
            "values.global.proxy.clusterDomain=corp.example",
            "values.global.logging.level=default:debug");
    assertThat(args.get(0)).isEqualTo("discovery");

    DiscoveryCommand c =
        parse(Map.of("POD_NAMESPACE", "mesh", "REVISION", "canary"), args.subList(1, args.size()));
    var config = c.config();
    assertThat(config.monitoringPort()).isEqualTo(15014);
    assertThat(config.clusterDomain()).isEqualTo("corp.example");
    assertThat(config.maxConnectionAge()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.namespace()).isEqualTo("mesh");
    assertThat(config.revision()).isEqualTo("canary");
    assertThat(DiscoveryCommand.level(c.logOutputLevel, new ArrayList<>())).isEqualTo(Level.FINE);
  }

  @Test
  void theDefaultsAreIstiods() {
    List<String> args = istiodArgs();
    var config = parse(Map.of(), args.subList(1, args.size())).config();
    assertThat(config.monitoringPort()).isEqualTo(15014);
    assertThat(config.clusterDomain()).isEqualTo("cluster.local");
    assertThat(config.maxConnectionAge()).isEqualTo(Duration.ofMinutes(30));
    assertThat(config.xdsPort()).isEqualTo(15010);
    assertThat(config.secureXdsPort()).isEqualTo(15012);
    assertThat(config.readinessPort()).isEqualTo(8080);
  }

  @Test
  void istiodsAddressFlagsMoveEachPort() {
    var config =
        parse(
                Map.of(),
                List.of(
                    "--grpcAddr=127.0.0.1:25010",
                    "--secureGRPCAddr",
                    ":25012",
                    "--httpAddr=:28080",
                    "--monitoringAddr=:25014"))
            .config();
    assertThat(config.xdsPort()).isEqualTo(25010);
    assertThat(config.secureXdsPort()).isEqualTo(25012);
    assertThat(config.readinessPort()).isEqualTo(28080);
    assertThat(config.monitoringPort()).isEqualTo(25014);
  }

  @Test
  void anIstiodFlagIsthmusDoesNotImplementIsRefusedByName() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        DiscoveryCommand.run(
            new String[] {"--monitoringAddr=:15014", "--networksConfig=/etc/istio/networks"},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--networksConfig");
  }

  @Test
  void badValuesNameTheirFlag() {
    assertThatThrownBy(() -> DiscoveryCommand.port("--monitoringAddr", "15014"))
        .hasMessageContaining("--monitoringAddr");
    assertThatThrownBy(() -> DiscoveryCommand.port("--grpcAddr", ":99999"))
        .hasMessageContaining("--grpcAddr");
    assertThatThrownBy(() -> DiscoveryCommand.level("default:loud", new ArrayList<>()))
        .hasMessageContaining("--log_output_level")
        .hasMessageContaining("loud");
    List<String> notes = new ArrayList<>();
    assertThat(DiscoveryCommand.level("default:warn,ads:debug", notes)).isEqualTo(Level.WARNING);
    assertThat(notes).singleElement().asString().contains("ads");
    DiscoveryCommand zero = parse(Map.of(), List.of("--keepaliveMaxServerConnectionAge", "0s"));
    assertThatThrownBy(zero::config).hasMessageContaining("--keepaliveMaxServerConnectionAge");
  }

  private static DiscoveryCommand parse(Map<String, String> env, List<String> args) {
    DiscoveryCommand c = new DiscoveryCommand(env);
    new CommandLine(c).parseArgs(args.toArray(String[]::new));
    return c;
  }

  private static List<String> istiodArgs(String... sets) {
    JsonNode istiod =
        Translator.render(List.of(), List.of(sets), null, false).objects().stream()
            .filter(
                o ->
                    o.path("kind").asText().equals("Deployment")
                        && o.path("metadata").path("name").asText().equals("istiod"))
            .findFirst()
            .orElseThrow();
    List<String> args = new ArrayList<>();
    istiod
        .path("spec")
        .path("template")
        .path("spec")
        .path("containers")
        .get(0)
        .path("args")
        .forEach(a -> args.add(a.asText()));
    return args;
  }
}
