package dev.isthmus.translate.validate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.translate.Yamls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code MeshConfigSchema} checks a mesh configuration tree ({@code spec.meshConfig}, {@code
 * spec.values.meshConfig}) against Istio's {@code MeshConfig} and {@code ProxyConfig} protos, as
 * described in the generated {@code mesh-config-schema.yaml} resource: field types, enum names,
 * durations, nested messages, lists and maps. It accepts what protobuf's JSON decoding accepts (the
 * proto field name as well as the JSON name, integers as strings or as 2.0, enum numbers, {@code
 * null} for unset). A wrong type is an error; an unknown field, or two members of one oneof, is a
 * warning, since Istio accepts both.
 */
public final class MeshConfigSchema {
  /** The root message. */
  public static final String MESH_CONFIG = "istio.mesh.v1alpha1.MeshConfig";

  private static final Pattern DURATION =
      Pattern.compile("[-+]?(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+|[-+]?0");
  private static final Pattern DURATION_PART =
      Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)");
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
  private static final Pattern NUMBER =
      Pattern.compile("-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?|NaN|-?Infinity");
  private static final BigInteger[][] RANGES = {
    {BigInteger.valueOf(Integer.MIN_VALUE), BigInteger.valueOf(Integer.MAX_VALUE)},
    {BigInteger.ZERO, BigInteger.valueOf(0xFFFFFFFFL)},
    {BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE)},
    {BigInteger.ZERO, BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)}
  };
  private static final List<String> INT_TYPES = List.of("int32", "uint32", "int64", "uint64");

  private record Message(Map<String, String> fields, List<List<String>> oneofs) {}

  private static final Map<String, Message> MESSAGES = new HashMap<>();
  private static final Map<String, Set<String>> ENUMS = new HashMap<>();

  static {
    JsonNode schema = load();
    schema
        .get("messages")
        .fields()
        .forEachRemaining(
            m -> {
              Map<String, String> fields = new HashMap<>();
              m.getValue()
                  .get("fields")
                  .fields()
                  .forEachRemaining(f -> fields.put(f.getKey(), f.getValue().asText()));
              List<List<String>> oneofs = new java.util.ArrayList<>();
              JsonNode o = m.getValue().get("oneofs");
              if (o != null) {
                o.forEach(g -> oneofs.add(Yamls.YAML.convertValue(g, List.class)));
              }
              MESSAGES.put(m.getKey(), new Message(fields, oneofs));
            });
    schema
        .get("enums")
        .fields()
        .forEachRemaining(
            e -> {
              Set<String> names = new HashSet<>();
              e.getValue().forEach(v -> names.add(v.asText()));
              ENUMS.put(e.getKey(), names);
            });
  }

  private MeshConfigSchema() {}

  /**
   * Checks {@code node} (may be null) at {@code path} against the {@code MeshConfig} message,
   * adding type errors to {@code errors} and unknown fields to {@code warnings}.
   */
  public static void validate(
      JsonNode node, String path, List<String> errors, List<String> warnings) {
    int before = errors.size();
    check(node, "msg:" + MESH_CONFIG, path, errors, warnings);
    if (errors.size() == before && node != null && node.isObject()) {
      semantic(node, path, errors);
    }
  }

  /**
   * The rules of Istio's mesh validation that need no cluster: the connect timeout between 1 ms and
   * 1 h, durations to millisecond precision (the drain duration to seconds), and ports.
   */
  private static void semantic(JsonNode mesh, String path, List<String> errors) {
    BigDecimal ms = BigDecimal.valueOf(1_000_000);
    BigDecimal connect = nanos(mesh.get("connectTimeout"));
    if (connect != null
        && (connect.compareTo(ms) < 0
            || connect.compareTo(BigDecimal.valueOf(3_600_000_000_000L)) > 0
            || connect.remainder(ms).signum() != 0)) {
      errors.add(
          path
              + ".connectTimeout: "
              + mesh.get("connectTimeout").asText()
              + " must be between 1ms and 1h, to the millisecond");
    }
    BigDecimal detection = nanos(mesh.get("protocolDetectionTimeout"));
    if (detection != null && detection.remainder(ms).signum() != 0) {
      errors.add(path + ".protocolDetectionTimeout: only durations to ms precision are supported");
    }
    port(mesh, "proxyListenPort", path, errors);
    JsonNode proxy = mesh.get("defaultConfig");
    if (proxy != null && proxy.isObject()) {
      String p = path + ".defaultConfig";
      BigDecimal drain = nanos(proxy.get("drainDuration"));
      if (drain != null
          && (drain.compareTo(ms) < 0
              || drain.remainder(BigDecimal.valueOf(1_000_000_000)).signum() != 0)) {
        errors.add(
            p
                + ".drainDuration: "
                + proxy.get("drainDuration").asText()
                + " must be at least 1s, to the second");
      }
      port(proxy, "proxyAdminPort", p, errors);
      port(proxy, "statusPort", p, errors);
    }
  }

  private static void port(JsonNode msg, String field, String path, List<String> errors) {
    JsonNode v = msg.get(field);
    if (v != null && !v.isNull()) {
      long port = v.isNumber() ? v.asLong() : Long.parseLong(v.asText());
      if (port < 1 || port > 65535) {
        errors.add(path + "." + field + ": port number " + port + " must be in the range 1..65535");
      }
    }
  }

  /** A Go duration ({@code 1h2m3.5s}, already checked by the type check) in nanoseconds. */
  private static BigDecimal nanos(JsonNode v) {
    if (v == null || !v.isTextual()) {
      return null;
    }
    Matcher m = DURATION_PART.matcher(v.asText());
    BigDecimal total = BigDecimal.ZERO;
    while (m.find()) {
      long unit =
          switch (m.group(2)) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
          };
      total = total.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
    }
    return v.asText().startsWith("-") ? total.negate() : total;
  }

  private static void check(
      JsonNode node, String type, String path, List<String> errors, List<String> warnings) {
    if (node == null || node.isNull()) {
      return;
    }
    if (type.startsWith("[]")) {
      if (!node.isArray()) {
        errors.add(path + ": expected a list, got " + StrictChecker.describe(node));
        return;
      }
      for (int i = 0; i < node.size(); i++) {
        check(node.get(i), type.substring(2), path + "[" + i + "]", errors, warnings);
      }
      return;
    }
    if (type.startsWith("map:")) {
      if (!node.isObject()) {
        errors.add(path + ": expected a map, got " + StrictChecker.describe(node));
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        check(e.getValue(), type.substring(4), path + "." + e.getKey(), errors, warnings);
      }
      return;
    }
    if (type.startsWith("msg:")) {
      message(node, type.substring(4), path, errors, warnings);
      return;
    }
    if (type.startsWith("enum:")) {
      Set<String> names = ENUMS.get(type.substring(5));
      boolean ok = (node.isTextual() && names.contains(node.asText())) || node.isIntegralNumber();
      if (!ok) {
        errors.add(
            path
                + ": "
                + K8sRules.quoted(node)
                + " is not one of "
                + String.join(", ", names.stream().sorted().toList()));
      }
      return;
    }
    String problem =
        switch (type) {
          case "string" -> node.isTextual() ? null : "expected a string";
          case "bool" -> node.isBoolean() ? null : "expected a boolean";
          case "double" ->
              node.isNumber() || (node.isTextual() && NUMBER.matcher(node.asText()).matches())
                  ? null
                  : "expected a number";
          case "duration" ->
              node.isTextual() && DURATION.matcher(node.asText()).matches()
                  ? null
                  : "expected a duration such as \"10s\" or \"1m30s\"";
          case "struct" -> node.isObject() ? null : "expected an object";
          case "any" -> null;
          default -> integer(node, type);
        };
    if (problem != null) {
      errors.add(path + ": " + problem + ", got " + StrictChecker.describe(node));
    }
  }

  private static String integer(JsonNode node, String type) {
    int kind = INT_TYPES.indexOf(type);
    if (kind < 0) {
      throw new IllegalStateException("mesh-config-schema.yaml: unknown type " + type);
    }
    BigInteger v;
    if (node.isIntegralNumber()) {
      v = node.bigIntegerValue();
    } else if (node.isNumber() && node.decimalValue().stripTrailingZeros().scale() <= 0) {
      v = node.decimalValue().toBigIntegerExact(); // 2.0 decodes as 2, as in Istio
    } else if (node.isTextual() && INTEGER.matcher(node.asText()).matches()) {
      v = new BigInteger(node.asText());
    } else {
      return "expected an integer";
    }
    BigInteger[] r = RANGES[kind];
    return v.compareTo(r[0]) < 0 || v.compareTo(r[1]) > 0
        ? "expected an integer between " + r[0] + " and " + r[1] + " (" + type + ")"
        : null;
  }

  private static void message(
      JsonNode node, String name, String path, List<String> errors, List<String> warnings) {
    if (!node.isObject()) {
      errors.add(path + ": expected an object, got " + StrictChecker.describe(node));
      return;
    }
    Message m = MESSAGES.get(name);
    Map<String, String> seen = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      var e = it.next();
      String field = e.getKey();
      String type = m.fields().get(field);
      if (type == null && field.contains("_")) {
        field = lowerCamel(field);
        type = m.fields().get(field);
      }
      String child = path + "." + e.getKey();
      if (type == null) {
        warnings.add(
            child
                + ": unknown field of "
                + simpleName(name)
                + "; Istio ignores it, and so does Isthmus");
        continue;
      }
      if (!e.getValue().isNull()) {
        seen.put(field, e.getKey());
      }
      check(e.getValue(), type, child, errors, warnings);
    }
    for (List<String> group : m.oneofs()) {
      List<String> set = group.stream().filter(seen::containsKey).map(seen::get).toList();
      if (set.size() > 1) {
        // protobuf's JSON decoding keeps one of them without complaint; Istio renders it as is
        warnings.add(
            path + ": only one of " + String.join(", ", set) + " takes effect (they are a oneof)");
      }
    }
  }

  private static String simpleName(String fq) {
    return fq.startsWith("istio.mesh.v1alpha1.") ? fq.substring(20) : fq;
  }

  private static String lowerCamel(String s) {
    StringBuilder sb = new StringBuilder();
    boolean up = false;
    for (char c : s.toCharArray()) {
      if (c == '_') {
        up = true;
      } else {
        sb.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return sb.toString();
  }

  private static JsonNode load() {
    try (InputStream in =
        MeshConfigSchema.class.getResourceAsStream(
            "/dev/isthmus/translate/mesh-config-schema.yaml")) {
      if (in == null) {
        throw new IllegalStateException("mesh-config-schema.yaml missing from the classpath");
      }
      return Yamls.YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
