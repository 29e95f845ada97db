package dev.isthmus.translate.validate;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import dev.isthmus.translate.Yamls;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code ValuesSchema} checks {@code spec.values} against the knobs Isthmus supports, described in
 * the {@code values-schema.yaml} resource (derived from Istio's chart defaults). Unknown keys and
 * values of the wrong type are errors; {@code null} is always accepted (an empty YAML key).
 */
public final class ValuesSchema {
  private static final JsonNode SCHEMA = load();
  private static final Map<String, Class<?>> K8S =
      Map.of(
          "Toleration", Toleration.class,
          "Affinity", Affinity.class,
          "ResourceRequirements", ResourceRequirements.class,
          "Volume", Volume.class,
          "VolumeMount", VolumeMount.class,
          "TopologySpreadConstraint", TopologySpreadConstraint.class,
          "EnvVar", EnvVar.class,
          "Container", Container.class);

  private ValuesSchema() {}

  /** Validates {@code values} (may be null) found at {@code path}, adding messages to errors. */
  public static void validate(JsonNode values, String path, List<String> errors) {
    if (values == null || values.isNull()) {
      return;
    }
    check(values, SCHEMA, path, errors);
  }

  private static void check(JsonNode node, JsonNode schema, String path, List<String> errors) {
    if (node == null || node.isNull()) {
      return;
    }
    if (schema.isObject()) {
      if (!node.isObject()) {
        errors.add(path + ": expected a map, got " + StrictChecker.describe(node));
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        JsonNode sub = schema.has(e.getKey()) ? schema.get(e.getKey()) : schema.get("*");
        String child = path + "." + e.getKey();
        if (sub == null) {
          errors.add(
              child
                  + ": unknown value (not a supported setting; use spec.unvalidatedValues to pass"
                  + " it through unchecked)");
        } else {
          check(e.getValue(), sub, child, errors);
        }
      }
      return;
    }
    String type = schema.asText();
    switch (type) {
      case "any" -> {}
      case "map" -> {
        if (!node.isObject()) {
          errors.add(path + ": expected a map, got " + StrictChecker.describe(node));
        }
      }
      case "list" -> {
        if (!node.isArray()) {
          errors.add(path + ": expected a list, got " + StrictChecker.describe(node));
        }
      }
      case "string" -> {
        if (!node.isValueNode()) {
          errors.add(path + ": expected a string, got " + StrictChecker.describe(node));
        }
      }
      case "bool" -> {
        if (!node.isBoolean()
            && !(node.isTextual() && List.of("true", "false").contains(node.asText()))) {
          errors.add(path + ": expected a boolean, got " + StrictChecker.describe(node));
        }
      }
      case "number" -> {
        if (!node.isNumber() && !(node.isTextual() && node.asText().matches("-?[0-9.]+"))) {
          errors.add(path + ": expected a number, got " + StrictChecker.describe(node));
        }
      }
      default -> checkK8s(node, type, path, errors);
    }
  }

  private static void checkK8s(JsonNode node, String type, String path, List<String> errors) {
    if (!type.startsWith("k8s:")) {
      throw new IllegalStateException("values-schema.yaml: unknown type " + type);
    }
    String kind = type.substring(4);
    boolean list = kind.endsWith("[]");
    Class<?> cls = K8S.get(list ? kind.substring(0, kind.length() - 2) : kind);
    if (cls == null) {
      throw new IllegalStateException("values-schema.yaml: unknown Kubernetes type " + kind);
    }
    JavaType jt =
        list
            ? TypeFactory.defaultInstance().constructCollectionType(List.class, cls)
            : TypeFactory.defaultInstance().constructType(cls);
    StrictChecker.check(node, jt, path, errors);
  }

  private static JsonNode load() {
    try (InputStream in =
        ValuesSchema.class.getResourceAsStream("/dev/isthmus/translate/values-schema.yaml")) {
      if (in == null) {
        throw new IllegalStateException("values-schema.yaml missing from the classpath");
      }
      return Yamls.YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
