package dev.isthmus.controlplane.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Go duration strings, as RequestAuthentication's {@code timeout} carries them. */
class GoDurationTest {
  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "5s, PT5S",
    "250ms, PT0.25S",
    "1m30s, PT1M30S",
    "1.5s, PT1.5S",
    "2h, PT2H",
    "10us, PT0.00001S",
    "100ns, PT0.0000001S",
    "0, PT0S",
  })
  void parses(String text, String expected) {
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "5", "s", "5 s", "-1s", "5sec", "1m30"})
  void refuses(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a duration");
  }
}
