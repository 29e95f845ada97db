package dev.isthmus.controlplane.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostsTest {
  @ParameterizedTest(name = "{0} ~ {1}: matches={2} subset={3} intersection={4}")
  @CsvSource({
    "a.example.com, a.example.com, true, true, a.example.com",
    "a.example.com, b.example.com, false, false, ",
    "*.example.com, a.example.com, true, false, a.example.com",
    "a.example.com, *.example.com, true, true, a.example.com",
    "*.example.com, *.com, true, true, *.example.com",
    "*.com, *.example.com, true, false, *.example.com",
    "*, a.example.com, true, false, a.example.com",
    "*.foo.com, *.bar.com, false, false, ",
  })
  void wildcardSemantics(String a, String b, boolean matches, boolean subset, String inter) {
    assertThat(Hosts.matches(a, b)).isEqualTo(matches);
    assertThat(Hosts.matches(b, a)).isEqualTo(matches);
    assertThat(Hosts.subsetOf(a, b)).isEqualTo(subset);
    assertThat(Hosts.intersection(a, b)).isEqualTo(inter);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "10s, 10s",
    "1m, 60s",
    "1h30m, 5400s",
    "500ms, 0.5s",
    "1.5s, 1.5s",
    "bogus, ",
    "10, "
  })
  void durations(String in, String out) {
    assertThat(Durations.canonical(in)).isEqualTo(out);
  }
}
