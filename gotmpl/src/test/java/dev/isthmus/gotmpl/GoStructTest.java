package dev.isthmus.gotmpl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code GoStructTest} covers what Go's tables cannot: {@link GoStruct} values standing for the Go
 * structs of Istio's template data (pod, ProxyConfig), read by Go field names, with protobuf
 * getters, and with unset fields reading as their zero value.
 */
class GoStructTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Object data() throws Exception {
    Map<String, Object> d = new LinkedHashMap<>();
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
        "ObjectMeta",
        GoValues.struct(JSON.readTree("{\"labels\": {\"app.kubernetes.io/Name\": \"x\"}}")));
    d.put("TypeMeta", GoValues.struct(JSON.readTree("{\"apiVersion\": \"apps/v1\"}")));
    d.put(
        "ProxyConfig",
        new GoStruct(
            ((GoStruct)
                    GoValues.struct(JSON.readTree("{\"holdApplicationUntilProxyStarts\": true}")))
                .fields(),
            Map.of("interceptionMode", "REDIRECT")));
    return d;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '^',
      textBlock =
          """
          field by Go name            | {{.Spec.ServiceAccountName}} {{.TypeMeta.APIVersion}}   | sa apps/v1
          field of a list element     | {{(index .Spec.Containers 0).Name}}                     | app
          nested range                | {{range .Spec.Containers}}{{range .Ports}}{{.ContainerPort}}{{end}}{{end}} | 80
          map keys kept as they are   | {{index .ObjectMeta.Labels "app.kubernetes.io/Name"}}   | x
          zero value from zero map    | {{.ProxyConfig.InterceptionMode.String}}                | REDIRECT
          wrapper GetValue            | {{.ProxyConfig.HoldApplicationUntilProxyStarts.GetValue}} | true
          getter of an unset message  | ^{{.ProxyConfig.GetTracing.GetTlsSettings}}|^           | ^|^
          unset field prints empty    | ^[{{.Spec.NodeName}}]^                                  | []
          unset field equals zero     | {{eq .Spec.NodeName ""}} {{eq .Spec.Priority 0}}          | true true
          unset field is false        | {{if .Spec.NodeName}}set{{else}}unset{{end}}            | unset
          index of an unset map       | ^[{{index .ProxyConfig.ProxyMetadata "X"}}]^            | []
          len of an unset field       | {{len .Spec.Volumes}}                                   | 0
          unset field given to a function | ^{{.Spec.NodeName | printf "%v"}}^                  | <nil>
          """)
  void readsStructs(String name, String template, String expected) throws Exception {
    assertThat(Template.parse("t", template, Map.of()).execute(data())).isEqualTo(expected);
  }
}
