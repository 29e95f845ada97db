package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.gotmpl.Template;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code InjectionConfig} is what the injector reads from the {@code
 * istio-sidecar-injector[-<rev>]} ConfigMap (keys {@code config} and {@code values}) and from the
 * mesh config ({@code istio[-<rev>]} ConfigMap, key {@code mesh}): policy, default templates, the
 * parsed injection templates (Istio's {@code templates} map plus the legacy single {@code template}
 * as {@code sidecar}), {@code injectedAnnotations}, the values and the mesh config.
 *
 * @param values the injection values document (the {@code values} key, JSON)
 * @param policy {@code enabled} (inject unless the pod opts out) or {@code disabled} (only pods
 *     that opt in)
 * @param defaultTemplates templates used when a pod does not name any, normally {@code [sidecar]}
 * @param mesh the mesh config, possibly empty
 * @param templates the parsed templates by name
 * @param injectedAnnotations annotations added to every injected pod
 */
public record InjectionConfig(
    JsonNode values,
    String policy,
    List<String> defaultTemplates,
    ObjectNode mesh,
    Map<String, Template> templates,
    Map<String, String> injectedAnnotations,
    List<LabelSelector> neverInjectSelector,
    List<LabelSelector> alwaysInjectSelector) {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Used when no ConfigMap exists: no templates, so every injection fails with a message. */
  public static InjectionConfig defaults() {
    return new InjectionConfig(
        JsonNodeFactory.instance.objectNode(),
        "enabled",
        List.of("sidecar"),
        JsonNodeFactory.instance.objectNode(),
        Map.of(),
        Map.of(),
        List.of(),
        List.of());
  }

  /**
   * Reads the injector ConfigMap data and the mesh config, parsing every template.
   *
   * @param injectorData data of {@code istio-sidecar-injector[-<rev>]}; may be null
   * @param meshYaml the {@code mesh} key of the {@code istio[-<rev>]} ConfigMap; may be null
   * @throws IllegalArgumentException naming the key or template that does not parse
   */
  public static InjectionConfig parse(Map<String, String> injectorData, String meshYaml) {
    JsonNode values = JsonNodeFactory.instance.objectNode();
    String policy = "enabled";
    List<String> defaults = List.of("sidecar");
    Map<String, Template> templates = new TreeMap<>();
    Map<String, String> injected = new LinkedHashMap<>();
    List<LabelSelector> never = new ArrayList<>();
    List<LabelSelector> always = new ArrayList<>();
    if (injectorData != null) {
      if (injectorData.get("values") != null) {
        values = read(injectorData.get("values"), "values");
      }
      if (injectorData.get("config") != null) {
        JsonNode config = readYaml(injectorData.get("config"), "config");
        policy = config.path("policy").asText("enabled");
        if (config.path("defaultTemplates").isArray()
            && !config.path("defaultTemplates").isEmpty()) {
          List<String> t = new ArrayList<>();
          config.path("defaultTemplates").forEach(n -> t.add(n.asText()));
          defaults = List.copyOf(t);
        }
        config
            .path("templates")
            .fields()
            .forEachRemaining(
                e -> templates.put(e.getKey(), template(e.getKey(), e.getValue().asText())));
        // The legacy single template only counts when the map has no sidecar: Istio's current
        // ConfigMap fills it with a deliberately broken placeholder for old injectors.
        if (!templates.containsKey("sidecar")
            && config.path("template").isTextual()
            && !config.path("template").asText().isBlank()) {
          templates.put("sidecar", template("sidecar", config.path("template").asText()));
        }
        selectors(config.path("neverInjectSelector"), "config.neverInjectSelector", never);
        selectors(config.path("alwaysInjectSelector"), "config.alwaysInjectSelector", always);
        config
            .path("injectedAnnotations")
            .fields()
            .forEachRemaining(e -> injected.put(e.getKey(), e.getValue().asText()));
      }
    }
    ObjectNode mesh = JsonNodeFactory.instance.objectNode();
    if (meshYaml != null && !meshYaml.isBlank()) {
      JsonNode m = readYaml(meshYaml, "mesh");
      if (m.isObject()) {
        mesh = (ObjectNode) m;
      }
    }
    return new InjectionConfig(
        values,
        policy,
        defaults,
        mesh,
        Map.copyOf(templates),
        Map.copyOf(injected),
        List.copyOf(never),
        List.copyOf(always));
  }

  private static void selectors(JsonNode list, String path, List<LabelSelector> out) {
    if (list.isMissingNode() || list.isNull()) {
      return;
    }
    if (!list.isArray()) {
      throw new IllegalArgumentException(path + ": expected a list of label selectors");
    }
    for (int i = 0; i < list.size(); i++) {
      try {
        out.add(JSON.convertValue(list.get(i), LabelSelector.class));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            path + "[" + i + "]: not a label selector: " + e.getMessage(), e);
      }
    }
  }

  private static Template template(String name, String text) {
    try {
      return Template.parse(name, text, IstioFuncs.FUNCTIONS);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config.templates." + name + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode readYaml(String text, String key) {
    try {
      Object o = Serialization.unmarshal(text, Object.class);
      return o == null ? MissingNode.getInstance() : JSON.valueToTree(o);
    } catch (Exception e) {
      throw new IllegalArgumentException(key + ": cannot parse: " + e.getMessage(), e);
    }
  }

  private static JsonNode read(String text, String key) {
    try {
      JsonNode n = JSON.readTree(text);
      return n == null ? MissingNode.getInstance() : n;
    } catch (Exception e) {
      throw new IllegalArgumentException(key + ": cannot parse: " + e.getMessage(), e);
    }
  }

  /** The mesh config's {@code defaultConfig} (ProxyConfig), possibly empty. */
  public ObjectNode meshDefaultConfig() {
    JsonNode d = mesh.path("defaultConfig");
    return d.isObject() ? (ObjectNode) d : JsonNodeFactory.instance.objectNode();
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

  /**
   * An image as Istio's injector names it: {@code override} (an annotation) or the value at {@code
   * valuesKey} when either contains a {@code /}, else {@code <global.hub>/<name>:<global.tag>} with
   * {@code -<global.variant>} when set.
   */
  public String image(String valuesKey, String override) {
    String image = override != null ? override : text(valuesKey, "proxyv2");
    if (image.contains("/")) {
      return image;
    }
    String hub = text("global.hub", "docker.io/istio");
    String tag = text("global.tag", "latest");
    String variant = text("global.variant", "");
    return hub + "/" + image + ":" + tag + (variant.isEmpty() ? "" : "-" + variant);
  }

  /** The revision this injector serves; {@code default} when the values leave it empty. */
  public String revision() {
    return text("revision", "default");
  }
}
