package dev.isthmus.translate.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code Validator} checks a merged IstioOperator tree before anything renders and collects every
 * problem: unknown fields and wrong types (strict), revision and names that are not DNS-1123
 * labels, hubs and tags that are not image references, bad gateway names, ports and IP ranges,
 * unknown {@code values} keys. Deprecated or ignored settings become warnings.
 */
public final class Validator {
  private static final Pattern DNS1123_LABEL =
      Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern HUB =
      Pattern.compile(
          "([a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]+)?/)?"
              + "[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern CIDR =
      Pattern.compile("([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)/[0-9]{1,3}");

  /** Errors and warnings found by one validation. */
  public record Result(List<String> errors, List<String> warnings) {}

  private Validator() {}

  /** Validates a merged IstioOperator tree (profile, files and --set already merged). */
  public static Result validate(ObjectNode iop) {
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = iop.fields(); it.hasNext(); ) {
      var e = it.next();
      switch (e.getKey()) {
        case "apiVersion" -> {
          if (!IstioOperator.API_VERSION.equals(e.getValue().asText())) {
            errors.add("apiVersion: expected " + IstioOperator.API_VERSION);
          }
        }
        case "kind" -> {
          if (!"IstioOperator".equals(e.getValue().asText())) {
            errors.add("kind: expected IstioOperator, got " + e.getValue().asText());
          }
        }
        case "metadata" -> StrictChecker.check(e.getValue(), ObjectMeta.class, "metadata", errors);
        case "spec", "status" -> {}
        default -> errors.add(e.getKey() + ": unknown field");
      }
    }
    JsonNode spec = iop.get("spec");
    if (spec == null || spec.isNull()) {
      return new Result(errors, warnings);
    }
    if (!spec.isObject()) {
      errors.add("spec: expected an object");
      return new Result(errors, warnings);
    }
    StrictChecker.check(spec, IstioOperatorSpec.class, "spec", errors);
    ValuesSchema.validate(spec.get("values"), "spec.values", errors);
    MeshConfigSchema.validate(spec.get("meshConfig"), "spec.meshConfig", errors, warnings);
    JsonNode values = spec.get("values");
    if (values != null && values.isObject()) {
      MeshConfigSchema.validate(
          values.get("meshConfig"), "spec.values.meshConfig", errors, warnings);
    }
    semantic((ObjectNode) spec, errors, warnings);
    return new Result(errors, warnings);
  }

  private static void semantic(ObjectNode spec, List<String> errors, List<String> warnings) {
    String revision = text(spec, "revision");
    if (revision != null && !revision.isEmpty() && !DNS1123_LABEL.matcher(revision).matches()) {
      errors.add(
          "spec.revision: \""
              + revision
              + "\" is not a DNS-1123 label (lower case alphanumerics and '-', at most 63)");
    }
    if (revision != null && revision.equals("default")) {
      errors.add("spec.revision: \"default\" is reserved; leave revision empty instead");
    }
    checkNamespace(text(spec, "namespace"), "spec.namespace", errors);
    checkHubTag(spec, "spec", errors);
    if (text(spec, "installPackagePath") != null) {
      warnings.add(
          "spec.installPackagePath: deprecated and ignored; the charts are built into Isthmus");
    }
    JsonNode components = spec.get("components");
    if (components != null && components.isObject()) {
      for (String c : List.of("base", "pilot", "cni", "ztunnel", "istiodRemote")) {
        JsonNode comp = components.get(c);
        if (comp != null && comp.isObject()) {
          String p = "spec.components." + c;
          checkHubTag(comp, p, errors);
          checkNamespace(text(comp, "namespace"), p + ".namespace", errors);
          checkK8s(comp.get("k8s"), p + ".k8s", errors, warnings);
        }
      }
      Set<String> seen = new HashSet<>();
      for (String kind : List.of("ingressGateways", "egressGateways")) {
        JsonNode gws = components.get(kind);
        if (gws == null || !gws.isArray()) {
          continue;
        }
        for (int i = 0; i < gws.size(); i++) {
          JsonNode gw = gws.get(i);
          if (gw == null || !gw.isObject()) {
            continue;
          }
          String p = "spec.components." + kind + "[" + i + "]";
          String name = text(gw, "name");
          if (name == null || name.isEmpty()) {
            errors.add(p + ".name: required");
          } else if (!DNS1123_SUBDOMAIN.matcher(name).matches() || name.length() > 63) {
            errors.add(p + ".name: \"" + name + "\" is not a valid gateway name (DNS-1123)");
          } else {
            String ns = text(gw, "namespace");
            if (!seen.add((ns == null ? "" : ns) + "/" + name)) {
              errors.add(p + ".name: duplicate gateway \"" + name + "\" in the same namespace");
            }
          }
          checkNamespace(text(gw, "namespace"), p + ".namespace", errors);
          checkHubTag(gw, p, errors);
          checkK8s(gw.get("k8s"), p + ".k8s", errors, warnings);
        }
      }
    }
    JsonNode values = spec.get("values");
    if (values != null && values.isObject()) {
      checkValues(values, errors);
    }
  }

  private static void checkValues(JsonNode values, List<String> errors) {
    checkMinMax(values.get("pilot"), "autoscaleMin", "autoscaleMax", "spec.values.pilot", errors);
    JsonNode gateways = values.get("gateways");
    if (gateways != null && gateways.isObject()) {
      gateways
          .fields()
          .forEachRemaining(
              g ->
                  checkMinMax(
                      g.getValue(),
                      "autoscaleMin",
                      "autoscaleMax",
                      "spec.values.gateways." + g.getKey(),
                      errors));
    }
    JsonNode proxy = at(values, "global", "proxy");
    if (proxy != null) {
      for (String k : List.of("includeIPRanges", "excludeIPRanges")) {
        String v = text(proxy, k);
        if (v != null && !v.isEmpty() && !v.equals("*")) {
          for (String cidr : v.split(",")) {
            if (!CIDR.matcher(cidr.trim()).matches()) {
              errors.add(
                  "spec.values.global.proxy."
                      + k
                      + ": \""
                      + cidr.trim()
                      + "\" is not a CIDR range");
            }
          }
        }
      }
      for (String k :
          List.of(
              "includeInboundPorts",
              "excludeInboundPorts",
              "includeOutboundPorts",
              "excludeOutboundPorts")) {
        String v = text(proxy, k);
        if (v != null && !v.isEmpty() && !v.equals("*")) {
          for (String port : v.split(",")) {
            if (!validPort(port.trim())) {
              errors.add(
                  "spec.values.global.proxy." + k + ": \"" + port.trim() + "\" is not a port");
            }
          }
        }
      }
    }
    JsonNode gws = values.get("gateways");
    if (gws != null && gws.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = gws.fields(); it.hasNext(); ) {
        var e = it.next();
        JsonNode ports = e.getValue() == null ? null : e.getValue().get("ports");
        checkPorts(ports, "spec.values.gateways." + e.getKey() + ".ports", errors);
      }
    }
  }

  private static void checkK8s(JsonNode k8s, String path, List<String> errors, List<String> w) {
    if (k8s == null || !k8s.isObject()) {
      return;
    }
    JsonNode service = k8s.get("service");
    if (service != null) {
      checkPorts(service.get("ports"), path + ".service.ports", errors);
    }
    checkMinMax(k8s.get("hpaSpec"), "minReplicas", "maxReplicas", path + ".hpaSpec", errors);
  }

  /** An autoscaler whose minimum is above its maximum is refused by the API server. */
  private static void checkMinMax(
      JsonNode node, String minKey, String maxKey, String path, List<String> errors) {
    if (node == null || !node.isObject()) {
      return;
    }
    JsonNode min = node.get(minKey);
    JsonNode max = node.get(maxKey);
    if (min != null && max != null && min.isNumber() && max.isNumber()) {
      if (min.asDouble() > max.asDouble()) {
        errors.add(
            path
                + "."
                + minKey
                + ": "
                + min.asText()
                + " is greater than "
                + maxKey
                + " ("
                + max.asText()
                + ")");
      }
    }
  }

  private static void checkPorts(JsonNode ports, String path, List<String> errors) {
    if (ports == null || !ports.isArray()) {
      return;
    }
    for (int i = 0; i < ports.size(); i++) {
      JsonNode p = ports.get(i);
      if (p == null || !p.isObject()) {
        continue;
      }
      JsonNode port = p.get("port");
      if (port == null || !port.canConvertToInt() || port.asInt() < 1 || port.asInt() > 65535) {
        errors.add(path + "[" + i + "].port: expected a port number between 1 and 65535");
      }
      JsonNode target = p.get("targetPort");
      if (target != null && target.isNumber() && (target.asInt() < 1 || target.asInt() > 65535)) {
        errors.add(path + "[" + i + "].targetPort: expected a port number between 1 and 65535");
      }
    }
  }

  private static boolean validPort(String s) {
    if (!s.matches("[0-9]{1,5}")) {
      return false;
    }
    int p = Integer.parseInt(s);
    return p >= 1 && p <= 65535;
  }

  private static void checkNamespace(String ns, String path, List<String> errors) {
    if (ns != null && !ns.isEmpty() && !DNS1123_LABEL.matcher(ns).matches()) {
      errors.add(path + ": \"" + ns + "\" is not a valid namespace name (DNS-1123 label)");
    }
  }

  private static void checkHubTag(JsonNode node, String path, List<String> errors) {
    String hub = text(node, "hub");
    if (hub != null && !hub.isEmpty() && !HUB.matcher(hub).matches()) {
      errors.add(path + ".hub: \"" + hub + "\" is not a valid image repository");
    }
    JsonNode tag = node.get("tag");
    if (tag != null && tag.isValueNode() && !tag.isNull()) {
      String t = tag.asText();
      if (!t.isEmpty() && !TAG.matcher(t).matches()) {
        errors.add(path + ".tag: \"" + t + "\" is not a valid image tag");
      }
    }
  }

  private static JsonNode at(JsonNode n, String... keys) {
    for (String k : keys) {
      if (n == null || !n.isObject()) {
        return null;
      }
      n = n.get(k);
    }
    return n == null || n.isNull() ? null : n;
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() || !v.isValueNode() ? null : v.asText();
  }
}
