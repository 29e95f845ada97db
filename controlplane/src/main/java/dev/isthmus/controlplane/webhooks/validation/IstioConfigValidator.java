package dev.isthmus.controlplane.webhooks.validation;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isthmus.controlplane.webhooks.JsonNulls;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * {@code IstioConfigValidator} decides whether an Istio config object (networking.istio.io,
 * security.istio.io, telemetry.istio.io) may be stored, the way Istio's validation webhook does.
 *
 * <p>The object is parsed into the fabric8 istio-model type for its kind; an object that does not
 * parse is denied with a message naming the field. Kinds it does not know are allowed. It is pure
 * and thread-safe.
 */
public final class IstioConfigValidator {
  private record Kind<T extends HasMetadata>(
      Class<T> type, Function<T, Object> spec, BiConsumer<Object, Problems> rules) {}

  private static final Map<String, Kind<?>> KINDS =
      Map.ofEntries(
          kind(
              "networking.istio.io/VirtualService",
              io.fabric8.istio.api.networking.v1.VirtualService.class,
              io.fabric8.istio.api.networking.v1.VirtualService::getSpec,
              VirtualServiceRules::validate),
          kind(
              "networking.istio.io/DestinationRule",
              io.fabric8.istio.api.networking.v1.DestinationRule.class,
              io.fabric8.istio.api.networking.v1.DestinationRule::getSpec,
              NetworkingRules::destinationRule),
          kind(
              "networking.istio.io/Gateway",
              io.fabric8.istio.api.networking.v1.Gateway.class,
              io.fabric8.istio.api.networking.v1.Gateway::getSpec,
              NetworkingRules::gateway),
          kind(
              "networking.istio.io/ServiceEntry",
              io.fabric8.istio.api.networking.v1.ServiceEntry.class,
              io.fabric8.istio.api.networking.v1.ServiceEntry::getSpec,
              NetworkingRules::serviceEntry),
          kind(
              "networking.istio.io/Sidecar",
              io.fabric8.istio.api.networking.v1.Sidecar.class,
              io.fabric8.istio.api.networking.v1.Sidecar::getSpec,
              NetworkingRules::sidecar),
          kind(
              "networking.istio.io/WorkloadEntry",
              io.fabric8.istio.api.networking.v1.WorkloadEntry.class,
              io.fabric8.istio.api.networking.v1.WorkloadEntry::getSpec,
              NetworkingRules::workloadEntry),
          kind(
              "networking.istio.io/EnvoyFilter",
              io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter.class,
              io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter::getSpec,
              NetworkingRules::envoyFilter),
          kind(
              "security.istio.io/PeerAuthentication",
              io.fabric8.istio.api.security.v1.PeerAuthentication.class,
              io.fabric8.istio.api.security.v1.PeerAuthentication::getSpec,
              SecurityRules::peerAuthentication),
          kind(
              "security.istio.io/AuthorizationPolicy",
              io.fabric8.istio.api.security.v1.AuthorizationPolicy.class,
              io.fabric8.istio.api.security.v1.AuthorizationPolicy::getSpec,
              SecurityRules::authorizationPolicy),
          kind(
              "security.istio.io/RequestAuthentication",
              io.fabric8.istio.api.security.v1.RequestAuthentication.class,
              io.fabric8.istio.api.security.v1.RequestAuthentication::getSpec,
              SecurityRules::requestAuthentication),
          kind(
              "telemetry.istio.io/Telemetry",
              io.fabric8.istio.api.telemetry.v1.Telemetry.class,
              io.fabric8.istio.api.telemetry.v1.Telemetry::getSpec,
              TelemetryRules::telemetry));

  private final ObjectMapper mapper =
      Serialization.jsonMapper()
          .copy()
          .disable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
          .disable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE);

  @SuppressWarnings("unchecked")
  private static <T extends HasMetadata, S> Map.Entry<String, Kind<?>> kind(
      String groupKind, Class<T> type, Function<T, S> spec, BiConsumer<S, Problems> rules) {
    return Map.entry(
        groupKind, new Kind<>(type, (Function<T, Object>) spec, (s, p) -> rules.accept((S) s, p)));
  }

  /**
   * Whether this validator has rules for {@code group}/{@code kind}; other kinds are always
   * allowed.
   */
  public static boolean knows(String group, String kind) {
    return KINDS.containsKey(group + "/" + kind);
  }

  /**
   * Validates one object as sent in an AdmissionReview's {@code request.object}.
   *
   * @param object the full object (apiVersion, kind, metadata, spec)
   * @return the verdict; never null
   */
  public ValidationResult validate(JsonNode object) {
    if (object == null || !object.isObject()) {
      return ValidationResult.deny(
          java.util.List.of("object: expected a JSON object"), java.util.List.of());
    }
    String apiVersion = object.path("apiVersion").asText("");
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    Kind<?> kind = KINDS.get(group + "/" + object.path("kind").asText(""));
    if (kind == null) {
      return ValidationResult.allow(java.util.List.of());
    }
    return validate(object, kind);
  }

  private <T extends HasMetadata> ValidationResult validate(JsonNode object, Kind<T> kind) {
    Problems p = new Problems();
    var nullElement = JsonNulls.inList(object.path("spec"), "spec");
    if (nullElement.isPresent()) {
      return ValidationResult.deny(
          java.util.List.of(nullElement.get() + ": a list element must not be null"),
          java.util.List.of());
    }
    T typed;
    try {
      typed = mapper.treeToValue(object, kind.type());
    } catch (JsonMappingException e) {
      return ValidationResult.deny(
          java.util.List.of(fieldPath(e) + ": " + e.getOriginalMessage()), java.util.List.of());
    } catch (Exception e) {
      return ValidationResult.deny(
          java.util.List.of("object: " + e.getMessage()), java.util.List.of());
    }
    Object spec = kind.spec().apply(typed);
    if (spec == null) {
      p.error("spec", "spec is required");
    } else {
      droppedValues(object.path("spec"), mapper.valueToTree(spec), "spec", p);
      if (p.ok()) {
        kind.rules().accept(spec, p);
      }
    }
    return p.ok()
        ? ValidationResult.allow(p.warnings())
        : ValidationResult.deny(p.errors(), p.warnings());
  }

  /**
   * istio-model reads an unknown enum constant as null; a string present in the request but absent
   * after a round-trip through the typed model is such a value, and Istio rejects it.
   */
  private static void droppedValues(JsonNode raw, JsonNode typed, String path, Problems p) {
    if (raw.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = raw.fields(); it.hasNext(); ) {
        var e = it.next();
        JsonNode t = typed == null ? null : typed.get(e.getKey());
        droppedValues(e.getValue(), t, path + "." + e.getKey(), p);
      }
    } else if (raw.isArray()) {
      for (int i = 0; i < raw.size(); i++) {
        JsonNode t = typed == null || !typed.isArray() ? null : typed.get(i);
        droppedValues(raw.get(i), t, path + "[" + i + "]", p);
      }
    } else if (raw.isTextual() && !raw.asText().isEmpty() && (typed == null || typed.isNull())) {
      p.error(path, "unknown value " + Checks.quote(raw.asText()));
    }
  }

  private static String fieldPath(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "object" : sb.toString();
  }
}
