package dev.isthmus.controlplane.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.webhooks.inject.InjectionConfig;
import dev.isthmus.controlplane.webhooks.inject.InjectorFixtures;
import dev.isthmus.controlplane.webhooks.inject.SidecarInjector;
import dev.isthmus.controlplane.webhooks.validation.IstioConfigValidator;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final InjectionConfig CONFIG =
      InjectionConfig.parse(
          Map.of(
              "values",
              "{}",
              "config",
              InjectorFixtures.config(
                  "enabled",
                  Map.of("broken", "metadata:\n  labels:\n    x: {{ .ObjectMeta.Name.Foo }}\n"))),
          null);
  private final AdmissionHandler handler =
      new AdmissionHandler(
          new SidecarInjector(
              () -> CONFIG, "istio-system", ns -> Map.of("istio-injection", "enabled")),
          new IstioConfigValidator());

  private static byte[] review(String group, String kind, String operation, JsonNode object) {
    ObjectNode r =
        JSON.createObjectNode()
            .put("apiVersion", "admission.k8s.io/v1")
            .put("kind", "AdmissionReview");
    ObjectNode req =
        r.putObject("request")
            .put("uid", "u-1")
            .put("operation", operation)
            .put("namespace", "apps");
    req.putObject("kind").put("group", group).put("version", "v1").put("kind", kind);
    req.set("object", object);
    return r.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode response(byte[] body) throws Exception {
    JsonNode r = JSON.readTree(body);
    assertThat(r.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(r.path("kind").asText()).isEqualTo("AdmissionReview");
    return r.path("response");
  }

  private static JsonNode vs(String regex) throws Exception {
    return JSON.readTree(
        """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"r","namespace":"apps"},
         "spec":{"hosts":["reviews"],"http":[{"match":[{"uri":{"regex":"%s"}}],
         "route":[{"destination":{"host":"reviews"},"weight":60},{"destination":{"host":"ratings"},"weight":30}]}]}}
        """
            .formatted(regex));
  }

  @Test
  void deniesInvalidConfigWithUidAndMessage() throws Exception {
    JsonNode r =
        response(
            handler.validate(
                review("networking.istio.io", "VirtualService", "CREATE", vs("[a-z"))));
    assertThat(r.path("uid").asText()).isEqualTo("u-1");
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("message").asText())
        .isEqualTo(
            "configuration is invalid: spec.http[0].match[0].uri.regex: \"[a-z\" is not a valid regex: "
                + "Unclosed character class");
    assertThat(r.path("warnings").get(0).asText()).contains("total destination weight 90 != 100");
  }

  @Test
  void allowsValidConfigWithWarnings() throws Exception {
    JsonNode r =
        response(
            handler.validate(
                review("networking.istio.io", "VirtualService", "UPDATE", vs("/v[0-9]+"))));
    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.path("warnings")).hasSize(1);
  }

  @Test
  void allowsDeletesAndOtherGroups() throws Exception {
    assertThat(
            response(
                    handler.validate(
                        review("networking.istio.io", "VirtualService", "DELETE", null)))
                .path("allowed")
                .asBoolean())
        .isTrue();
    assertThat(
            response(
                    handler.validate(
                        review("apps", "Deployment", "CREATE", JSON.createObjectNode())))
                .path("allowed")
                .asBoolean())
        .isTrue();
  }

  @Test
  void injectReturnsBase64JsonPatch() throws Exception {
    JsonNode pod =
        JSON.readTree(
            """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"p"}},
         "spec":{"containers":[{"name":"app","image":"nginx"}]}}""");
    JsonNode r = response(handler.inject(review("", "Pod", "CREATE", pod)));
    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.path("patchType").asText()).isEqualTo("JSONPatch");
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(r.path("patch").asText()));
    assertThat(patch.isArray()).isTrue();
    assertThat(patch.toString())
        .contains("\"path\":\"/spec/containers\"")
        .contains("istio-proxy")
        .contains("docker.io/istio/proxyv2:latest");
  }

  @Test
  void templateFailureRefusesThePodWithTheTemplateLine() throws Exception {
    JsonNode pod =
        JSON.readTree(
            """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p",
         "annotations":{"inject.istio.io/templates":"sidecar,broken"}},
         "spec":{"containers":[{"name":"app","image":"nginx"}]}}""");
    JsonNode r = response(handler.inject(review("", "Pod", "CREATE", pod)));
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.has("patch")).isFalse();
    assertThat(r.path("status").path("message").asText())
        .contains(
            "template: broken:3: executing \"broken\" at <.ObjectMeta.Name.Foo>: can't evaluate"
                + " field Foo in type string");
  }

  @Test
  void neverBlocksSystemNamespaces() throws Exception {
    ObjectNode r =
        JSON.createObjectNode()
            .put("apiVersion", "admission.k8s.io/v1")
            .put("kind", "AdmissionReview");
    ObjectNode req =
        r.putObject("request")
            .put("uid", "u-2")
            .put("operation", "CREATE")
            .put("namespace", "kube-system");
    req.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    req.putObject("object").put("spec", "unreadable");
    JsonNode resp = response(handler.inject(r.toString().getBytes(StandardCharsets.UTF_8)));
    assertThat(resp.path("allowed").asBoolean()).isTrue();
    assertThat(resp.has("patch")).isFalse();
  }

  @Test
  void injectIgnoresNonPodsAndUpdates() throws Exception {
    JsonNode r = response(handler.inject(review("", "Pod", "UPDATE", JSON.createObjectNode())));
    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.has("patch")).isFalse();
  }

  @Test
  void undecodableRequestsAreDeniedWithAMessage() throws Exception {
    JsonNode r = response(handler.validate("{not json".getBytes(StandardCharsets.UTF_8)));
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("status").path("message").asText()).startsWith("body: not valid JSON: ");
    JsonNode wrongKind =
        response(handler.inject("{\"kind\":\"Pod\"}".getBytes(StandardCharsets.UTF_8)));
    assertThat(wrongKind.path("status").path("message").asText())
        .isEqualTo("kind: expected AdmissionReview, got \"Pod\"");
    JsonNode badPod =
        response(
            handler.inject(
                review(
                    "",
                    "Pod",
                    "CREATE",
                    JSON.readTree("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":5}}"))));
    assertThat(badPod.path("allowed").asBoolean()).isFalse();
    assertThat(badPod.path("status").path("message").asText()).startsWith("spec.containers");
  }
}
