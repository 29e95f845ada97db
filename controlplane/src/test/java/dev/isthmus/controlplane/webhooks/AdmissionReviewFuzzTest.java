package dev.isthmus.controlplane.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.webhooks.inject.InjectionConfig;
import dev.isthmus.controlplane.webhooks.inject.InjectorFixtures;
import dev.isthmus.controlplane.webhooks.inject.SidecarInjector;
import dev.isthmus.controlplane.webhooks.validation.IstioConfigValidator;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * AdmissionReview bodies come from the API server but carry whatever a user submitted, so {@link
 * AdmissionHandler} must answer every body with a well-formed review: allowed, or denied with a
 * message naming what was wrong, never an internal exception. Bodies are the injection test pod and
 * the validation table's objects with random edits at every level, then sometimes cut short or with
 * a byte changed.
 */
class AdmissionReviewFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration BUDGET = Duration.ofSeconds(20);

  /** What a denial must not look like: the text of an exception the handler did not expect. */
  private static final Pattern INTERNAL =
      Pattern.compile(
          "NullPointer|ClassCast|IndexOutOfBounds|For input string|StackOverflow"
              + "|UnsupportedOperation|IllegalState|ArithmeticException|cannot decode request");

  private static final AdmissionHandler HANDLER = handler();
  private static final List<JsonNode> PODS = pods();
  private static final List<JsonNode> CONFIGS = configs();

  private static AdmissionHandler handler() {
    try (InputStream in = resource("/webhooks/inject/values.json")) {
      InjectionConfig cfg =
          InjectionConfig.parse(
              Map.of(
                  "values",
                  new String(in.readAllBytes(), StandardCharsets.UTF_8),
                  "config",
                  InjectorFixtures.config("enabled", Map.of())),
              null);
      return new AdmissionHandler(
          new SidecarInjector(
              () -> cfg, "istio-system", ns -> Map.of("istio-injection", "enabled")),
          new IstioConfigValidator());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static InputStream resource(String name) {
    return AdmissionReviewFuzzTest.class.getResourceAsStream(name);
  }

  private static List<JsonNode> pods() {
    try (InputStream in = resource("/webhooks/inject/pod.yaml")) {
      JsonNode pod = JSON.valueToTree(Serialization.unmarshal(in, Object.class));
      ObjectNode annotated = pod.deepCopy();
      ((ObjectNode) annotated.path("metadata"))
          .putObject("annotations")
          .put("proxy.istio.io/config", "holdApplicationUntilProxyStarts: true")
          .put("sidecar.istio.io/proxyCPU", "200m")
          .put("traffic.sidecar.istio.io/includeOutboundIPRanges", "10.0.0.0/8")
          .put("status.sidecar.istio.io/port", "15020")
          .put("sidecar.istio.io/interceptionMode", "REDIRECT");
      return List.of(pod, annotated);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<JsonNode> configs() {
    try (InputStream in = resource("/webhooks/validation/cases.yaml")) {
      JsonNode table = JSON.valueToTree(Serialization.unmarshal(in, Object.class));
      List<JsonNode> out = new ArrayList<>();
      table.path("cases").forEach(c -> out.add(c.path("object")));
      return List.copyOf(out);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Provide
  Arbitrary<List<JsonMutations.Edit>> edits() {
    return JsonMutations.edits(4);
  }

  @Provide
  Arbitrary<Integer> cut() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, Arbitraries.just(0)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1, 1000)));
  }

  @Property
  void injectionAnswersEveryBody(
      @ForAll @IntRange(max = 1) int seed,
      @ForAll("edits") List<JsonMutations.Edit> edits,
      @ForAll("cut") int cut) {
    JsonNode review = review("", "Pod", PODS.get(seed));
    check(JsonMutations.bytes(JsonMutations.apply(review, edits), cut), true);
  }

  @Property
  void validationAnswersEveryBody(
      @ForAll @IntRange(max = 10_000) int seed,
      @ForAll("edits") List<JsonMutations.Edit> edits,
      @ForAll("cut") int cut) {
    JsonNode config = CONFIGS.get(seed % CONFIGS.size());
    String group = config.path("apiVersion").asText().split("/")[0];
    JsonNode review = review(group, config.path("kind").asText(), config);
    check(JsonMutations.bytes(JsonMutations.apply(review, edits), cut), false);
  }

  // Counterexamples the properties found; each was a NullPointerException before.

  @Example
  void nullGatewayServerIsDeniedWithItsPath() {
    assertThat(denial(false, "{\"spec\":{\"servers\":[null]}}", "Gateway"))
        .isEqualTo("configuration is invalid: spec.servers[0]: a list element must not be null");
  }

  @Example
  void nullSidecarEgressIsDeniedWithItsPath() {
    assertThat(denial(false, "{\"spec\":{\"egress\":[null]}}", "Sidecar"))
        .contains("spec.egress[0]: a list element must not be null");
  }

  @Example
  void authorizationConditionWithoutKeyIsDeniedWithItsPath() {
    ObjectNode policy =
        JSON.createObjectNode()
            .put("apiVersion", "security.istio.io/v1")
            .put("kind", "AuthorizationPolicy");
    policy.putObject("metadata").put("name", "x").put("namespace", "default");
    policy.putObject("spec").putArray("rules").addObject().putArray("when").addObject();
    byte[] body =
        review("security.istio.io", "AuthorizationPolicy", policy)
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    check(body, false);
    assertThat(response(HANDLER.validate(body)).path("status").path("message").asText())
        .contains("spec.rules[0].when[0].key: `key` must not be empty");
  }

  @Example
  void nullLabelValueIsDeniedWithItsPath() {
    ObjectNode pod = PODS.get(0).deepCopy();
    ((ObjectNode) pod.path("metadata").path("labels")).putNull("app");
    assertThat(denial(true, pod.toString(), "Pod"))
        .isEqualTo("metadata.labels.app: must not be null");
  }

  @Example
  void ownerReferenceWithoutNameOrKindIsDeniedWithItsPath() {
    ObjectNode pod = PODS.get(0).deepCopy();
    ObjectNode owner = (ObjectNode) pod.path("metadata").path("ownerReferences").get(0);
    owner.remove("name");
    assertThat(denial(true, pod.toString(), "Pod"))
        .isEqualTo("metadata.ownerReferences[0].name: Required value");
    owner.put("name", "productpage-7d9c8b6f5").putNull("kind");
    assertThat(denial(true, pod.toString(), "Pod"))
        .isEqualTo("metadata.ownerReferences[0].kind: Required value");
  }

  @Example
  void truncatedBodyIsDeniedAsNotJson() {
    String body = review("", "Pod", PODS.get(0)).toString();
    byte[] cut = body.substring(0, body.length() / 2).getBytes(StandardCharsets.UTF_8);
    JsonNode r = response(HANDLER.inject(cut));
    assertThat(r.path("status").path("message").asText()).startsWith("body: not valid JSON: ");
  }

  /** The denial message for {@code object} (a JSON object merged over a validation seed). */
  private static String denial(boolean inject, String object, String kind) {
    JsonNode o;
    try {
      o = JSON.readTree(object);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
    if (!inject) {
      ObjectNode full =
          JSON.createObjectNode().put("apiVersion", "networking.istio.io/v1").put("kind", kind);
      full.putObject("metadata").put("name", "x").put("namespace", "default");
      full.setAll((ObjectNode) o);
      o = full;
    }
    byte[] body =
        review(inject ? "" : "networking.istio.io", kind, o)
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    check(body, inject);
    JsonNode r = response(inject ? HANDLER.inject(body) : HANDLER.validate(body));
    assertThat(r.path("allowed").asBoolean()).isFalse();
    return r.path("status").path("message").asText();
  }

  private static JsonNode response(byte[] out) {
    try {
      return JSON.readTree(out).path("response");
    } catch (Exception e) {
      throw new AssertionError("the answer is not JSON", e);
    }
  }

  static JsonNode review(String group, String kind, JsonNode object) {
    ObjectNode r = JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1");
    r.put("kind", "AdmissionReview");
    ObjectNode req =
        r.putObject("request")
            .put("uid", "u-1")
            .put("operation", "CREATE")
            .put("namespace", "apps");
    req.putObject("kind").put("group", group).put("version", "v1").put("kind", kind);
    req.set("object", object);
    return r;
  }

  /** Sends {@code body}; the answer must be a review that allows or denies with a clear message. */
  static void check(byte[] body, boolean inject) {
    byte[] out =
        assertTimeoutPreemptively(
            BUDGET,
            () -> inject ? HANDLER.inject(body) : HANDLER.validate(body),
            () ->
                "no answer within " + BUDGET + " for " + new String(body, StandardCharsets.UTF_8));
    JsonNode response = response(out);
    assertThat(response.path("allowed").isBoolean()).as("response.allowed").isTrue();
    if (response.path("allowed").asBoolean()) {
      Statistics.label("outcome").collect("allowed");
      return;
    }
    String message = response.path("status").path("message").asText();
    assertThat(response.path("status").path("code").asInt()).isEqualTo(400);
    assertThat(message).isNotBlank();
    assertThat(INTERNAL.matcher(message).find())
        .as("denial \"%s\" of %s", message, new String(body, StandardCharsets.UTF_8))
        .isFalse();
    Statistics.label("outcome")
        .collect(message.startsWith("cannot decode") ? "not JSON" : "denied");
  }
}
