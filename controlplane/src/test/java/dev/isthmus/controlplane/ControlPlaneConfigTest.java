package dev.isthmus.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Istio's defaults, and the settings derived from the machine. */
class ControlPlaneConfigTest {
  @Test
  void defaultsAreIstios() {
    ControlPlaneConfig c = ControlPlaneConfig.defaults();
    assertThat(c.namespace()).isEqualTo("istio-system");
    assertThat(c.xdsPort()).isEqualTo(15010);
    assertThat(c.secureXdsPort()).isEqualTo(15012);
    assertThat(c.monitoringPort()).isEqualTo(15014);
    assertThat(c.readinessPort()).isEqualTo(8080);
    assertThat(c.debounceQuiet()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.debugOpen()).as("debug endpoints are closed by default").isFalse();
  }

  @Test
  void newStreamsPerSecondFollowIstiodsRuleOfThumb() {
    if (System.getenv("PILOT_MAX_REQUESTS_PER_SECOND") != null) {
      return; // the environment overrides the rule; nothing to check here
    }
    assertThat(ControlPlaneConfig.defaultStreamsPerSecond(2)).isEqualTo(25);
    assertThat(ControlPlaneConfig.defaultStreamsPerSecond(8)).isEqualTo(55);
    assertThat(ControlPlaneConfig.defaultStreamsPerSecond(64)).as("capped").isEqualTo(100);
  }

  @Test
  void copiesChangeOnlyWhatTheySay() {
    ControlPlaneConfig c =
        ControlPlaneConfig.defaults().withEphemeralPorts().withDebugOpen(true).withRevision("c");
    assertThat(c.xdsPort()).isZero();
    assertThat(c.debugOpen()).isTrue();
    assertThat(c.revision()).isEqualTo("c");
    assertThat(c.namespace()).isEqualTo("istio-system");
  }
}
