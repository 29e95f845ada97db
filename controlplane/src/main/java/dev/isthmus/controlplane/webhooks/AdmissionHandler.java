package dev.isthmus.controlplane.webhooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.webhooks.inject.InjectionPolicy;
import dev.isthmus.controlplane.webhooks.inject.InjectionResult;
import dev.isthmus.controlplane.webhooks.inject.SidecarInjector;
import dev.isthmus.controlplane.webhooks.validation.IstioConfigValidator;
import dev.isthmus.controlplane.webhooks.validation.ValidationResult;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdmissionHandler} turns an {@code admission.k8s.io/v1} AdmissionReview request into its
 * response for the {@code /inject} and {@code /validate} endpoints. It never throws: anything it
 * cannot decode or process becomes a denial whose message says what was wrong.
 */
public final class AdmissionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(AdmissionHandler.class);
  private static final Set<String> ISTIO_GROUPS =
      Set.of(
          "networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io");

  private final ObjectMapper json = new ObjectMapper();
  private final SidecarInjector injector;
  private final IstioConfigValidator validator;

  /**
   * @param injector used by {@link #inject}
   * @param validator used by {@link #validate}
   */
  public AdmissionHandler(SidecarInjector injector, IstioConfigValidator validator) {
    this.injector = injector;
    this.validator = validator;
  }

  /** Handles a request body sent to {@code /inject}; returns the AdmissionReview response body. */
  public byte[] inject(byte[] body) {
    return handle(body, true);
  }

  /**
   * Handles a request body sent to {@code /validate}; returns the AdmissionReview response body.
   */
  public byte[] validate(byte[] body) {
    return handle(body, false);
  }

  private byte[] handle(byte[] body, boolean inject) {
    ObjectNode review = json.createObjectNode();
    String apiVersion = "admission.k8s.io/v1";
    ObjectNode response = json.createObjectNode();
    String uid = "";
    try {
      JsonNode in;
      try {
        in = json.readTree(body);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("body: not valid JSON: " + e.getOriginalMessage());
      }
      if (in == null || !in.isObject()) {
        throw new IllegalArgumentException("body: expected an AdmissionReview JSON object");
      }
      if (in.hasNonNull("apiVersion")) {
        apiVersion = in.get("apiVersion").asText();
      }
      if (!"AdmissionReview".equals(in.path("kind").asText())) {
        throw new IllegalArgumentException(
            "kind: expected AdmissionReview, got \"" + in.path("kind").asText() + "\"");
      }
      JsonNode request = in.path("request");
      if (!request.isObject()) {
        throw new IllegalArgumentException("request: missing");
      }
      uid = request.path("uid").asText("");
      response.put("uid", uid);
      if (inject) {
        injectResponse(request, response);
      } else {
        validateResponse(request, response);
      }
    } catch (Exception e) {
      if (!(e instanceof IllegalArgumentException)) {
        LOG.warn("admission request failed", e);
      }
      response.removeAll();
      response.put("uid", uid);
      deny(
          response,
          400,
          e instanceof IllegalArgumentException ? e.getMessage() : "cannot decode request: " + e);
    }
    review.put("apiVersion", apiVersion);
    review.put("kind", "AdmissionReview");
    review.set("response", response);
    try {
      return json.writeValueAsBytes(review);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void injectResponse(JsonNode request, ObjectNode response) {
    String kind = request.path("kind").path("kind").asText();
    String operation = request.path("operation").asText("CREATE");
    if (!kind.equals("Pod") || !operation.equals("CREATE") || !request.path("object").isObject()) {
      response.put("allowed", true);
      return;
    }
    String namespace = request.path("namespace").asText("");
    if (InjectionPolicy.IGNORED_NAMESPACES.contains(namespace)) {
      // Never block system namespaces, not even on a pod the injector could not read.
      response.put("allowed", true);
      return;
    }
    InjectionResult r = injector.inject(request.path("object"), namespace);
    response.put("allowed", true);
    if (r.injected() && !r.patch().isEmpty()) {
      response.put("patchType", "JSONPatch");
      response.put(
          "patch",
          Base64.getEncoder()
              .encodeToString(r.patch().toString().getBytes(StandardCharsets.UTF_8)));
    }
    response.putObject("auditAnnotations").put("sidecar.istio.io/injection", r.reason());
  }

  private void validateResponse(JsonNode request, ObjectNode response) {
    String group = request.path("kind").path("group").asText();
    String operation = request.path("operation").asText("CREATE");
    JsonNode object = request.path("object");
    if (!ISTIO_GROUPS.contains(group)
        || operation.equals("DELETE")
        || operation.equals("CONNECT")
        || !object.isObject()) {
      response.put("allowed", true);
      return;
    }
    ValidationResult r = validator.validate(object);
    if (r.allowed()) {
      response.put("allowed", true);
    } else {
      deny(response, 400, r.message());
    }
    if (!r.warnings().isEmpty()) {
      response.set("warnings", json.valueToTree(List.copyOf(r.warnings())));
    }
  }

  private static void deny(ObjectNode response, int code, String message) {
    response.put("allowed", false);
    response.putObject("status").put("code", code).put("message", message);
  }
}
