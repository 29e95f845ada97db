package dev.isthmus.gotmpl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Object data() throws Exception {
    Map<String, Object> d = new java.util.LinkedHashMap<>();
    d.put(
        "Values",
        GoValues.plain(
            JSON.readTree(
                """
                {"global": {"hub": "docker.io/istio", "tag": "1.24", "proxy": {"port": 15020,
                 "enabled": true, "empty": "", "ratio": 1.5, "big": 1000000.0,
                 "resources": {"requests": {"memory": "128Mi", "cpu": "100m"}}},
                 "list": ["a", "b", "c"]},
                 "m": {"b": 2, "a": 1, "c": 3}}
                """)));
    d.put(
        "Spec",
        GoValues.struct(
            JSON.readTree(
                """
                {"containers": [{"name": "app", "ports": [{"containerPort": 80}]},
                                {"name": "istio-proxy"}],
                 "serviceAccountName": "sa"}
                """)));
    d.put(
        "TypeMeta",
        GoValues.struct(JSON.readTree("{\"apiVersion\": \"apps/v1\", \"kind\": \"X\"}")));
    d.put(
        "ProxyConfig",
        new GoStruct(
            ((GoStruct)
                    GoValues.struct(JSON.readTree("{\"holdApplicationUntilProxyStarts\": true}")))
                .fields(),
            Map.of("interceptionMode", "REDIRECT")));
    return d;
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("plain text", "plain text"),
        Arguments.of(
            "{{ .Values.global.hub }}/x:{{ .Values.global.tag }}", "docker.io/istio/x:1.24"),
        Arguments.of("a  {{- \"b\" -}}  \n c", "abc"),
        Arguments.of("a {{- /* comment */ -}} b", "ab"),
        Arguments.of("x{{/* c */}}y", "xy"),
        Arguments.of("{{ .Values.missing.deeper }}|", "|"),
        Arguments.of("{{ if .Values.global.proxy.empty }}y{{ else }}n{{ end }}", "n"),
        Arguments.of(
            "{{ if eq 1 2 }}a{{ else if .Values.global.proxy.enabled }}b{{ else }}c{{ end }}", "b"),
        Arguments.of(
            "{{ range $i, $v := .Values.global.list }}{{ $i }}={{ $v }},{{ end }}", "0=a,1=b,2=c,"),
        Arguments.of("{{ range $k, $v := .Values.m }}{{ $k }}{{ $v }}{{ end }}", "a1b2c3"),
        Arguments.of("{{ range .Values.nothing }}x{{ else }}empty{{ end }}", "empty"),
        Arguments.of(
            "{{ range .Values.global.list }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
            "a"),
        Arguments.of(
            "{{ range .Values.global.list }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}",
            "ac"),
        Arguments.of("{{ with .Values.global.proxy }}{{ .port }}{{ end }}", "15020"),
        Arguments.of("{{ with .Values.none }}x{{ else }}y{{ end }}", "y"),
        Arguments.of("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
        Arguments.of(
            "{{ range .Values.global.list }}{{ $.Values.global.tag }}{{ end }}", "1.241.241.24"),
        Arguments.of("{{ (index .Spec.Containers 0).Name }}", "app"),
        Arguments.of("{{ .Spec.ServiceAccountName }} {{ .TypeMeta.APIVersion }}", "sa apps/v1"),
        Arguments.of("{{ .ProxyConfig.InterceptionMode.String }}", "REDIRECT"),
        Arguments.of("{{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }}", "true"),
        Arguments.of("{{ .ProxyConfig.GetTracing.GetTlsSettings }}|", "|"),
        Arguments.of(
            "{{ range .Spec.Containers }}{{ range .Ports }}{{ .ContainerPort }}{{ end }}{{ end }}",
            "80"),
        Arguments.of("{{ and 1 0 }} {{ or 0 \"\" \"x\" }} {{ not true }}", "0 x false"),
        Arguments.of("{{ and false .Values.missing.call }}", "false"),
        Arguments.of(
            "{{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge \"b\" \"a\" }}",
            "true true true true"),
        Arguments.of("{{ eq .Values.missing \"\" }}", "true"),
        Arguments.of("{{ len .Values.global.list }} {{ len \"héllo\" }}", "3 6"),
        Arguments.of("{{ index .Values.m \"b\" }} {{ index .Values.global.list 2 }}", "2 c"),
        Arguments.of(
            "{{ printf \"%s-%d-%v-%t-%q\" \"a\" 7 1.5 true \"q\" }}", "a-7-1.5-true-\"q\""),
        Arguments.of("{{ print 1 2 \"x\" 3 }}", "1 2x3"),
        Arguments.of(
            "{{ .Values.global.proxy.ratio }} {{ .Values.global.proxy.big }}", "1.5 1000000"),
        Arguments.of(
            "{{ \"\" | default \"d\" }} {{ \"v\" | default \"d\" }} {{ default \"d\" 0 }}",
            "d v d"),
        Arguments.of("{{ .Values.global.list | join \",\" }}", "a,b,c"),
        Arguments.of("{{ \"a\\\"b\" | quote }} {{ squote \"x\" }}", "\"a\\\"b\" 'x'"),
        Arguments.of(
            "{{ toYaml .Values.global.proxy.resources }}",
            "requests:\n  cpu: 100m\n  memory: 128Mi"),
        Arguments.of(
            "x:{{ toYaml .Values.global.proxy.resources | nindent 2 }}",
            "x:\n  requests:\n    cpu: 100m\n    memory: 128Mi"),
        Arguments.of(
            "{{ \"a-b-\" | trimSuffix \"-\" | upper }} {{ trunc 3 \"abcdef\" }} {{ trimPrefix \"a\" \"abc\" }}",
            "A-B abc bc"),
        Arguments.of(
            "{{ contains \"b\" \"abc\" }} {{ hasPrefix \"a\" \"abc\" }} {{ hasSuffix \"x\" \"abc\" }}",
            "true true false"),
        Arguments.of(
            "{{ $l := list 1 2 }}{{ $l = append $l 3 }}{{ $l }} {{ last $l }}", "[1 2 3] 3"),
        Arguments.of(
            "{{ $d := dict \"k\" \"v\" }}{{ $_ := set $d \"z\" 1 }}{{ hasKey $d \"z\" }} {{ keys $d }}",
            "true [k z]"),
        Arguments.of("{{ toJson .Values.m }}", "{\"a\":1,\"b\":2,\"c\":3}"),
        Arguments.of(
            "{{ define \"t\" }}[{{ . }}]{{ end }}{{ template \"t\" \"x\" }}{{ template \"t\" 1 }}",
            "[x][1]"),
        Arguments.of("{{ block \"b\" .Values.global.tag }}<{{ . }}>{{ end }}", "<1.24>"),
        Arguments.of("{{ `raw {{ x }}` }}", "raw {{ x }}"),
        Arguments.of("{{ if and\n  (eq 1 1)\n  (ne 1 2) }}multi{{ end }}", "multi"),
        Arguments.of("{{ -3 }} {{ 0x10 }} {{ nil }}|", "-3 16 |"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void renders(String template, String expected) throws Exception {
    assertThat(Template.parse("t", template, Map.of()).execute(data())).isEqualTo(expected);
  }

  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of("line1\n{{ nosuch 1 }}", "template: t:2: function \"nosuch\" not defined"),
        Arguments.of("{{ if true }}x", "template: t:1: unexpected EOF: {{if}} without {{end}}"),
        Arguments.of("a\nb\n{{ end }}", "template: t:3: unexpected {{end}}"),
        Arguments.of("{{ \"x\" ", "template: t:1: unclosed action"),
        Arguments.of(
            "\n\n{{ .Values.global.tag.Name }}",
            "template: t:3: executing \"t\" at <.Values.global.tag.Name>: can't evaluate field Name"
                + " in type string"),
        Arguments.of(
            "{{ index .Values.global.list 5 }}",
            "template: t:1: executing \"t\" at <index>: error calling index: index out of range: 5"),
        Arguments.of(
            "{{ $nope }}", "template: t:1: executing \"t\" at <$nope>: undefined variable: $nope"),
        Arguments.of(
            "{{ eq 1 \"1\" }}",
            "template: t:1: executing \"t\" at <eq>: error calling eq: incompatible types for"
                + " comparison: int and string"),
        Arguments.of("{{ template \"none\" }}", "no such template \"none\""),
        Arguments.of("{{ break }}", "{{break}} outside {{range}}"),
        Arguments.of("{{ .Values | .Spec }}", "can't give argument to non-function .Spec"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errors")
  void failsWithTemplateAndLine(String template, String message) {
    assertThatThrownBy(() -> Template.parse("t", template, Map.of()).execute(data()))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining(message);
  }
}
