package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code InjectionConfig} is what the injector needs from the {@code
 * istio-sidecar-injector[-<rev>]} ConfigMap (keys {@code config} and {@code values}) and from the
 * mesh config ({@code istio[-<rev>]} ConfigMap, key {@code mesh}).
 *
 * <p>Only the {@code policy} and {@code defaultTemplates} of {@code config} are read: the sidecar
 * is built in Java from {@code values} (see {@link SidecarTemplate}), not by evaluating the Go
 * templates.
 *
 * @param values the injection values document (the {@code values} key, JSON)
 * @param policy {@code enabled} (inject unless the pod opts out) or {@code disabled} (only pods
 *     that opt in)
 * @param defaultTemplates templates used when a pod does not name any, normally {@code [sidecar]}
 * @param meshDefaultConfig the mesh config's {@code defaultConfig} (ProxyConfig), possibly empty
 * @param trustDomain the mesh config's {@code trustDomain}, or empty
 */
public record InjectionConfig(
    JsonNode values,
    String policy,
    List<String> defaultTemplates,
    ObjectNode meshDefaultConfig,
    String trustDomain) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Defaults used when no ConfigMap exists: stock Istio values for hub/tag and policy {@code
   * enabled}.
   */
  public static InjectionConfig defaults() {
    return new InjectionConfig(
        JsonNodeFactory.instance.objectNode(),
        "enabled",
        List.of("sidecar"),
        JsonNodeFactory.instance.objectNode(),
        "cluster.local");
  }

  /**
   * Reads the injector ConfigMap data and the mesh config.
   *
   * @param injectorData data of {@code istio-sidecar-injector[-<rev>]}; may be null
   * @param meshYaml the {@code mesh} key of the {@code istio[-<rev>]} ConfigMap; may be null
   * @throws IllegalArgumentException naming the key that does not parse
   */
  public static InjectionConfig parse(Map<String, String> injectorData, String meshYaml) {
    JsonNode values = JsonNodeFactory.instance.objectNode();
    String policy = "enabled";
    List<String> templates = List.of("sidecar");
    if (injectorData != null) {
      if (injectorData.get("values") != null) {
        values = read(JSON, injectorData.get("values"), "values");
      }
      if (injectorData.get("config") != null) {
        JsonNode config = readYaml(injectorData.get("config"), "config");
        policy = config.path("policy").asText("enabled");
        if (config.path("defaultTemplates").isArray()
            && config.path("defaultTemplates").size() > 0) {
          List<String> t = new ArrayList<>();
          config.path("defaultTemplates").forEach(n -> t.add(n.asText()));
          templates = List.copyOf(t);
        }
      }
    }
    ObjectNode defaultConfig = JsonNodeFactory.instance.objectNode();
    String trustDomain = "cluster.local";
    if (meshYaml != null && !meshYaml.isBlank()) {
      JsonNode mesh = readYaml(meshYaml, "mesh");
      if (mesh.path("defaultConfig").isObject()) {
        defaultConfig = (ObjectNode) mesh.path("defaultConfig");
      }
      trustDomain = mesh.path("trustDomain").asText("cluster.local");
    }
    return new InjectionConfig(values, policy, templates, defaultConfig, trustDomain);
  }

  private static JsonNode readYaml(String text, String key) {
    try {
      Object o = Serialization.unmarshal(text, Object.class);
      return o == null ? MissingNode.getInstance() : JSON.valueToTree(o);
    } catch (Exception e) {
      throw new IllegalArgumentException(key + ": cannot parse: " + e.getMessage(), e);
    }
  }

  private static JsonNode read(ObjectMapper mapper, String text, String key) {
    try {
      JsonNode n = mapper.readTree(text);
      return n == null ? MissingNode.getInstance() : n;
    } catch (Exception e) {
      throw new IllegalArgumentException(key + ": cannot parse: " + e.getMessage(), e);
    }
  }

  /**
   * The value at a dotted path of {@link #values()}, e.g. {@code global.proxy.image}; missing node
   * if absent.
   */
  public JsonNode value(String dottedPath) {
    JsonNode n = values;
    for (String part : dottedPath.split("\\.")) {
      n = n.path(part);
    }
    return n;
  }

  /** The text at a dotted path of {@link #values()}, or {@code def} when absent, null or empty. */
  public String text(String dottedPath, String def) {
    JsonNode n = value(dottedPath);
    return n.isMissingNode() || n.isNull() || n.asText().isEmpty() ? def : n.asText();
  }

  /** The boolean at a dotted path of {@link #values()}, or {@code def} when absent. */
  public boolean bool(String dottedPath, boolean def) {
    JsonNode n = value(dottedPath);
    return n.isMissingNode() || n.isNull() ? def : n.asBoolean(def);
  }

  /** The revision this injector serves; {@code default} when the values leave it empty. */
  public String revision() {
    return text("revision", "default");
  }
}
