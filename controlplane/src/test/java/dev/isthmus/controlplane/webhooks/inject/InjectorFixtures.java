package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code InjectorFixtures} supplies injector ConfigMap data as the installer renders it: the
 * injection templates come from the translate module (a test-scoped dependency; the control plane's
 * main code only reads the ConfigMap), either as raw resources combined with test values, or from a
 * full {@link Translator} render of a profile.
 */
public final class InjectorFixtures {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TEMPLATES = List.of("sidecar", "gateway", "grpc-agent");

  private InjectorFixtures() {}

  /** The translate module's injection templates by name. */
  public static Map<String, String> templates() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String t : TEMPLATES) {
      String res = "/dev/isthmus/translate/injection/" + t + ".yaml";
      try (InputStream in = InjectorFixtures.class.getResourceAsStream(res)) {
        out.put(t, new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (Exception e) {
        throw new IllegalStateException("cannot read " + res, e);
      }
    }
    return out;
  }

  /**
   * The {@code config} key: policy, default templates, the translate templates plus {@code extra}.
   */
  public static String config(String policy, Map<String, String> extra) {
    ObjectNode c = JSON.createObjectNode();
    c.put("policy", policy);
    c.putArray("defaultTemplates").add("sidecar");
    ObjectNode t = c.putObject("templates");
    templates().forEach(t::put);
    extra.forEach(t::put);
    return Serialization.asYaml(c);
  }

  /**
   * The data of the {@code istio-sidecar-injector} ConfigMap and the {@code mesh} key of the {@code
   * istio} ConfigMap rendered by the installer for {@code sets} over the default profile.
   */
  public static Map<String, String> rendered(List<String> sets) {
    return rendered(List.of(), sets);
  }

  /** As {@link #rendered(List)}, with IstioOperator documents as {@code -f} files. */
  public static Map<String, String> rendered(List<String> yamlDocuments, List<String> sets) {
    RenderResult r = Translator.render(yamlDocuments, sets, null, false);
    Map<String, String> out = new LinkedHashMap<>();
    for (ObjectNode o : r.objects()) {
      if (!"ConfigMap".equals(o.path("kind").asText())) {
        continue;
      }
      String name = o.path("metadata").path("name").asText();
      if (name.equals("istio-sidecar-injector")) {
        out.put("config", o.path("data").path("config").asText());
        out.put("values", o.path("data").path("values").asText());
      } else if (name.equals("istio")) {
        out.put("mesh", o.path("data").path("mesh").asText());
      }
    }
    if (!out.containsKey("config")) {
      throw new IllegalStateException("the render has no istio-sidecar-injector ConfigMap");
    }
    return out;
  }
}
