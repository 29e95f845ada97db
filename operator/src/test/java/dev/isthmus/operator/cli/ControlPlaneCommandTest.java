package dev.isthmus.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import picocli.CommandLine;

class ControlPlaneCommandTest {
  @org.junit.jupiter.api.Test
  void controlPlaneFlagsBecomeItsConfiguration() {
    ControlPlaneCommand c = new CommandLine(ControlPlaneCommand.class).getCommand();
    new CommandLine(c).parseArgs("--namespace", "mesh", "--revision", "canary", "--debug-open");
    var config = c.config();
    assertThat(config.namespace()).isEqualTo("mesh");
    assertThat(config.revision()).isEqualTo("canary");
    assertThat(config.debugOpen()).isTrue();
  }

  @org.junit.jupiter.api.Test
  void servingNamesComeFromTheFlagElseIstiodsCustomHostAndLoopbackOutOfCluster() {
    ControlPlaneCommand inCluster =
        command(java.util.Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"));
    assertThat(inCluster.config().servingNames()).isEmpty();

    ControlPlaneCommand custom =
        command(
            java.util.Map.of(
                "KUBERNETES_SERVICE_HOST",
                "10.0.0.1",
                "ISTIOD_CUSTOM_HOST",
                "istiod.example, 10.1.2.3"));
    assertThat(custom.config().servingNames()).containsExactly("istiod.example", "10.1.2.3");

    ControlPlaneCommand outside = command(java.util.Map.of("ISTIOD_CUSTOM_HOST", "istiod.example"));
    assertThat(outside.config().servingNames())
        .containsExactly("istiod.example", "localhost", "127.0.0.1");

    ControlPlaneCommand flag = command(java.util.Map.of("ISTIOD_CUSTOM_HOST", "ignored"));
    new CommandLine(flag).parseArgs("--serving-name", "a.example,192.0.2.1", "--serving-name", "b");
    assertThat(flag.config().servingNames())
        .containsExactly("a.example", "192.0.2.1", "b", "localhost", "127.0.0.1");
  }

  private static ControlPlaneCommand command(java.util.Map<String, String> env) {
    ControlPlaneCommand c = new CommandLine(ControlPlaneCommand.class).getCommand();
    c.env = env;
    return c;
  }
}
