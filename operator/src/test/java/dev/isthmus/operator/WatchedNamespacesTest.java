package dev.isthmus.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class WatchedNamespacesTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("nothing set", null, Map.of(), Set.of("istio-system")),
        Arguments.of(
            "own namespace", null, Map.of("POD_NAMESPACE", "operators"), Set.of("operators")),
        Arguments.of(
            "OLM target namespace wins over own",
            null,
            Map.of("POD_NAMESPACE", "operators", "WATCH_NAMESPACE", "istio-system"),
            Set.of("istio-system")),
        Arguments.of(
            "OLM AllNamespaces (empty) falls back to own",
            null,
            Map.of("POD_NAMESPACE", "operators", "WATCH_NAMESPACE", ""),
            Set.of("operators")),
        Arguments.of("OLM list", null, Map.of("WATCH_NAMESPACE", "a, b,,"), Set.of("a", "b")),
        Arguments.of(
            "flag wins",
            "x,y",
            Map.of("POD_NAMESPACE", "operators", "WATCH_NAMESPACE", "istio-system"),
            Set.of("x", "y")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void resolves(String name, String flag, Map<String, String> env, Set<String> expected) {
    assertThat(WatchedNamespaces.resolve(flag, env)).isEqualTo(expected);
  }

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of(",", Map.of(), "--namespaces names no namespace"),
        Arguments.of("", Map.of(), "--namespaces names no namespace"),
        Arguments.of("*", Map.of(), "namespace \"*\": expected a namespace name"),
        Arguments.of(
            null,
            Map.of("WATCH_NAMESPACE", "JOSDK_ALL_NAMESPACES"),
            "namespace \"JOSDK_ALL_NAMESPACES\": expected a namespace name"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("rejected")
  void rejects(String flag, Map<String, String> env, String message) {
    assertThatThrownBy(() -> WatchedNamespaces.resolve(flag, env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
