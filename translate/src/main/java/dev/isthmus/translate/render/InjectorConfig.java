package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.Yamls;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code InjectorConfig} renders the {@code istio-sidecar-injector[-rev]} ConfigMap the injection
 * webhook reads: key {@code config} (policy, selectors and the injection templates {@code sidecar},
 * {@code gateway}, {@code grpc-agent} plus any from {@code
 * values.sidecarInjectorWebhook.templates}) and key {@code values} (the values the templates see,
 * as JSON). The templates are Go templates over Istio's template data ({@code .ObjectMeta}, {@code
 * .Spec}, {@code .Values}, {@code .ProxyConfig}, ...) and functions (Sprig plus Istio's {@code
 * annotation}, {@code valueOrDefault}, {@code isset}, {@code excludeInboundPort}, ...), rendered by
 * the control plane's injector.
 */
public final class InjectorConfig {
  private static final List<String> BUILT_IN = List.of("sidecar", "gateway", "grpc-agent");
  private static final Map<String, String> TEMPLATES = loadTemplates();

  private InjectorConfig() {}

  /** The ConfigMap. */
  public static ObjectNode configMap(RenderContext ctx, Map<String, String> labels) {
    return K8s.node(
        new ConfigMapBuilder()
            .withMetadata(
                K8s.meta("istio-sidecar-injector" + ctx.revSuffix(), ctx.istioNamespace(), labels))
            .addToData("config", config(ctx))
            .addToData("values", Yamls.toPrettyJson(values(ctx)))
            .build());
  }

  /** The {@code config} text. */
  static String config(RenderContext ctx) {
    Vals v = ctx.values();
    ObjectNode c = Yamls.object();
    JsonNode defaults = v.node("sidecarInjectorWebhook.defaultTemplates");
    ArrayNode dt = c.putArray("defaultTemplates");
    if (defaults != null && defaults.isArray() && !defaults.isEmpty()) {
      defaults.forEach(dt::add);
    } else {
      dt.add("sidecar");
    }
    c.put(
        "policy",
        v.bool("sidecarInjectorWebhook.enableNamespacesByDefault", false)
                || !"disabled".equals(v.str("global.proxy.autoInject", "enabled"))
            ? "enabled"
            : "disabled");
    c.set("alwaysInjectSelector", list(v.node("sidecarInjectorWebhook.alwaysInjectSelector")));
    c.set("neverInjectSelector", list(v.node("sidecarInjectorWebhook.neverInjectSelector")));
    c.set("injectedAnnotations", v.obj("sidecarInjectorWebhook.injectedAnnotations"));
    Map<String, String> templates = new TreeMap<>();
    templates.putAll(TEMPLATES);
    v.strMap("sidecarInjectorWebhook.templates").forEach(templates::put);
    ObjectNode tn = c.putObject("templates");
    templates.forEach(tn::put);
    return Yamls.toYaml(c);
  }

  /** The values the templates see. */
  static ObjectNode values(RenderContext ctx) {
    Vals v = ctx.values();
    ObjectNode out = Yamls.object();
    out.set("global", v.obj("global").deepCopy());
    out.set("sidecarInjectorWebhook", v.obj("sidecarInjectorWebhook").deepCopy());
    out.put("revision", ctx.revision());
    // The CNI component's enablement reaches the templates as pilot.cni.enabled (as Istio's
    // installer propagates it); the provider comes from pilot.cni, else the CNI values.
    boolean cniOn = v.bool("pilot.cni.enabled", false) || v.bool("cni.enabled", false);
    String provider = v.str("pilot.cni.provider", v.str("cni.provider", "default"));
    ObjectNode cni = out.putObject("istio_cni");
    cni.put("enabled", cniOn);
    cni.put("provider", provider);
    cni.put("chained", v.bool("cni.chained", true));
    ObjectNode pilot = out.putObject("pilot");
    ObjectNode pilotCni = pilot.putObject("cni");
    pilotCni.put("enabled", cniOn);
    pilotCni.put("provider", provider);
    JsonNode env = v.node("pilot.env");
    pilot.set("env", env != null && env.isObject() ? env.deepCopy() : Yamls.object());
    ((ObjectNode) out.get("global")).put("hub", ctx.hub());
    ((ObjectNode) out.get("global")).put("tag", ctx.tag());
    return out;
  }

  private static JsonNode list(JsonNode n) {
    return n != null && n.isArray() ? n : Yamls.YAML.createArrayNode();
  }

  private static Map<String, String> loadTemplates() {
    Map<String, String> out = new TreeMap<>();
    for (String t : BUILT_IN) {
      out.put(t, template(t));
    }
    return Map.copyOf(out);
  }

  private static String template(String name) {
    String res = "/dev/isthmus/translate/injection/" + name + ".yaml";
    try (InputStream in = InjectorConfig.class.getResourceAsStream(res)) {
      if (in == null) {
        throw new IllegalStateException("injection template missing: " + res);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
