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
}
