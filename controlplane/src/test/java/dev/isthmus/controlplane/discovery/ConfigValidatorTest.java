package dev.isthmus.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What discovery keeps out of the mesh model, for VirtualServices, delegates included. */
class ConfigValidatorTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            "plain route",
            "{hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}",
            ""),
        Arguments.of(
            "root delegating a prefix",
            "{hosts: [reviews], http: [{match: [{uri: {prefix: /api}}],"
                + " delegate: {name: reviews-api, namespace: team}}]}",
            ""),
        Arguments.of(
            "delegate (no hosts)", "{http: [{route: [{destination: {host: reviews}}]}]}", ""),
        Arguments.of(
            "delegate naming gateways",
            "{gateways: [gw], http: [{route: [{destination: {host: reviews}}]}]}",
            "spec.gateways: a delegate VirtualService (no hosts) must not name gateways"),
        Arguments.of(
            "delegate with tcp routes",
            "{tcp: [{route: [{destination: {host: db}}]}]}",
            "spec: a delegate VirtualService (no hosts) may only have http routes"),
        Arguments.of(
            "delegate delegating again",
            "{http: [{delegate: {name: deeper}}]}",
            "spec.http[0].delegate: a delegate VirtualService cannot delegate again"),
        Arguments.of(
            "delegate and route together",
            "{hosts: [reviews], http: [{delegate: {name: d},"
                + " route: [{destination: {host: reviews}}]}]}",
            "spec.http[0]: delegate excludes route, redirect and directResponse"),
        Arguments.of(
            "delegate without a name",
            "{hosts: [reviews], http: [{delegate: {namespace: team}}]}",
            "spec.http[0].delegate.name: required"),
        Arguments.of(
            "nothing to do",
            "{hosts: [reviews], http: [{match: [{uri: {prefix: /}}]}]}",
            "spec.http[0]: one of route, redirect, directResponse or delegate is required"),
        Arguments.of(
            "tcp split with weights",
            "{hosts: [db], tcp: [{route: [{destination: {host: db}, weight: 90},"
                + " {destination: {host: db2}, weight: 10}]}]}",
            ""),
        Arguments.of(
            "tcp split without weights (Envoy: a weighted TCP proxy needs a cluster)",
            "{hosts: [db], tcp: [{route: [{destination: {host: db}}, {destination: {host: db2}}]}]}",
            "spec.tcp[0].route: weights of multiple destinations must not all be 0"),
        Arguments.of(
            "tls route without destinations",
            "{hosts: [db], tls: [{match: [{sniHosts: [db]}]}]}",
            "spec.tls[0].route: at least one destination is required"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void virtualServices(String name, String spec, String expected) throws Exception {
    VirtualService vs =
        new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readValue(spec, VirtualService.class);
    if (expected.isEmpty()) {
      assertThat(ConfigValidator.validate(vs)).isEmpty();
    } else {
      assertThat(ConfigValidator.validate(vs)).contains(expected);
    }
  }
}
