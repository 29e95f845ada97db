package dev.isthmus.translate.validate;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code StrictChecker} walks a YAML tree against a Java bean type (the IstioOperator API or a
 * fabric8 Kubernetes model class) and reports unknown fields and values of the wrong JSON type,
 * each with its field path. Fabric8 classes accept unknown fields into {@code
 * additionalProperties}; this check does not, so {@code tolerations: [{thats: x}]} is an error.
 * Quantities must parse as Kubernetes quantities, and {@link K8sRules} adds the enumerations and
 * minimums that the model types as plain strings and integers.
 */
public final class StrictChecker {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Map<Class<?>, Map<String, JavaType>> PROPS = new ConcurrentHashMap<>();

  private StrictChecker() {}

  /** Checks {@code node} against {@code type}, adding messages to {@code errors}. */
  public static void check(JsonNode node, Class<?> type, String path, List<String> errors) {
    check(node, MAPPER.constructType(type), path, errors);
  }

  /** Checks {@code node} against a generic type such as {@code List<Toleration>}. */
  public static void check(JsonNode node, JavaType type, String path, List<String> errors) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return;
    }
    Class<?> raw = type.getRawClass();
    if (JsonNode.class.isAssignableFrom(raw) || raw == Object.class) {
      return;
    }
    if (type.isCollectionLikeType()) {
      if (!node.isArray()) {
        errors.add(path + ": expected a list, got " + describe(node));
        return;
      }
      for (int i = 0; i < node.size(); i++) {
        check(node.get(i), type.getContentType(), path + "[" + i + "]", errors);
      }
      return;
    }
    if (type.isMapLikeType()) {
      if (!node.isObject()) {
        errors.add(path + ": expected a map, got " + describe(node));
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        check(e.getValue(), type.getContentType(), path + "." + e.getKey(), errors);
      }
      return;
    }
    if (raw == String.class) {
      if (!node.isValueNode()) {
        errors.add(path + ": expected a string, got " + describe(node));
      }
      return;
    }
    if (raw == Boolean.class || raw == boolean.class) {
      if (!node.isBoolean()
          && !(node.isTextual() && List.of("true", "false").contains(node.asText()))) {
        errors.add(path + ": expected a boolean, got " + describe(node));
      }
      return;
    }
    if (raw == Integer.class || raw == int.class || raw == Long.class || raw == long.class) {
      if (!node.isIntegralNumber() && !(node.isTextual() && node.asText().matches("-?\\d{1,18}"))) {
        errors.add(path + ": expected an integer, got " + describe(node));
      } else if ((raw == Integer.class || raw == int.class)
          && (node.isNumber() ? !node.canConvertToInt() : !fitsInt(node.asText()))) {
        errors.add(path + ": " + node.asText() + " is out of range for a 32-bit integer");
      }
      return;
    }
    if (Number.class.isAssignableFrom(raw) || raw == double.class || raw == float.class) {
      if (!node.isNumber()) {
        errors.add(path + ": expected a number, got " + describe(node));
      }
      return;
    }
    if (raw == IntOrString.class || raw == Quantity.class) {
      if (!node.isTextual() && !node.isNumber()) {
        errors.add(path + ": expected a string or a number, got " + describe(node));
      } else if (raw == Quantity.class) {
        K8sRules.quantity(node, path, errors);
      }
      return;
    }
    if (raw.isEnum() || raw.isPrimitive() || raw.getName().startsWith("java.")) {
      return;
    }
    if (!node.isObject()) {
      errors.add(path + ": expected an object, got " + describe(node));
      return;
    }
    Map<String, JavaType> props = properties(type);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      var e = it.next();
      JavaType pt = props.get(e.getKey());
      String child = path + "." + e.getKey();
      if (pt == null) {
        errors.add(child + ": unknown field");
      } else {
        int before = errors.size();
        check(e.getValue(), pt, child, errors);
        if (errors.size() == before) {
          K8sRules.check(raw, e.getKey(), e.getValue(), child, errors);
        }
      }
    }
  }

  private static Map<String, JavaType> properties(JavaType type) {
    return PROPS.computeIfAbsent(
        type.getRawClass(),
        c -> {
          BeanDescription d = MAPPER.getDeserializationConfig().introspect(type);
          Map<String, JavaType> out = new HashMap<>();
          for (BeanPropertyDefinition p : d.findProperties()) {
            if (p.hasSetter() || p.hasField() || p.hasConstructorParameter()) {
              out.put(p.getName(), p.getPrimaryType());
            }
          }
          return out;
        });
  }

  private static boolean fitsInt(String s) {
    long v = Long.parseLong(s);
    return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
  }

  /** Describes a value for a message: {@code a list}, {@code the string "x"}, {@code 5}. */
  public static String describe(JsonNode n) {
    if (n.isObject()) {
      return "an object";
    }
    if (n.isArray()) {
      return "a list";
    }
    if (n.isTextual()) {
      return "the string \"" + n.asText() + "\"";
    }
    return n.toString();
  }
}
