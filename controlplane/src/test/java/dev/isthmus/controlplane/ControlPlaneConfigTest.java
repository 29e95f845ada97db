package dev.isthmus.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Command-line options of {@code isthmus controlplane}. */
class ControlPlaneConfigTest {
  @Test
  void defaultsAreIstios() {
    ControlPlaneConfig c = ControlPlane.parse(new String[0]);
    assertThat(c.namespace()).isEqualTo("istio-system");
    assertThat(c.xdsPort()).isEqualTo(15010);
    assertThat(c.secureXdsPort()).isEqualTo(15012);
    assertThat(c.monitoringPort()).isEqualTo(15014);
    assertThat(c.readinessPort()).isEqualTo(8080);
    assertThat(c.debounceQuiet()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.debounceMax()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void optionsOverrideDefaults() {
    ControlPlaneConfig c =
        ControlPlane.parse(
            new String[] {
              "--namespace", "mesh", "--xds-port=0", "--debounce-after", "250", "--revision=canary"
            });
    assertThat(c.namespace()).isEqualTo("mesh");
    assertThat(c.xdsPort()).isZero();
    assertThat(c.revision()).isEqualTo("canary");
    assertThat(c.debounceQuiet()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void badOptionsNameTheOption() {
    assertThatThrownBy(() -> ControlPlane.parse(new String[] {"--xds-port", "ten"}))
        .hasMessage("--xds-port: expected a number, got 'ten'");
    assertThatThrownBy(() -> ControlPlane.parse(new String[] {"--colour", "blue"}))
        .hasMessage("unknown option --colour");
  }
}
