package dev.isthmus.cli.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isthmus.operator.cli.DurationConverter;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

/** {@code --readiness-timeout} takes istioctl's durations. */
class DurationConverterTest {
  @ParameterizedTest
  @CsvSource({"300s,PT5M", "5m,PT5M", "1h30m,PT1H30M", "500ms,PT0.5S", "PT2M,PT2M"})
  void parses(String text, String iso) {
    assertThat(new DurationConverter().convert(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"soon", "5", "5x", "m5", "5m soon", "PTx"})
  void refuses(String text) {
    assertThatThrownBy(() -> new DurationConverter().convert(text))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining(text);
  }
}
