package dev.isthmus.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * {@code BundleResources} reads the hand-written parts of the bundle kept as resources next to the
 * generator: the icon, the long description and the examples.
 */
public final class BundleResources {
  private static final String DIR = "/dev/isthmus/bundle/";

  private BundleResources() {}

  /** The icon, an SVG, base64-encoded. */
  public static String iconBase64() {
    return Base64.getEncoder().encodeToString(bytes("icon.svg"));
  }

  /** The CSV's long description (Markdown). */
  public static String description() {
    return new String(bytes("description.md"), StandardCharsets.UTF_8);
  }

  /** Every example, one per owned API, IstioOperator first. */
  public static List<JsonNode> examples() {
    String text = new String(bytes("examples.yaml"), StandardCharsets.UTF_8);
    return BundleYaml.parseAll(text);
  }

  /** The examples as the JSON array of the {@code alm-examples} annotation. */
  public static String almExamplesJson() {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    examples().forEach(array::add);
    return BundleYaml.prettyJson(array);
  }

  /** The default-profile IstioOperator example. */
  public static IstioOperator defaultIstioOperator() {
    return Serialization.jsonMapper().convertValue(examples().get(0), IstioOperator.class);
  }

  private static byte[] bytes(String name) {
    try (InputStream in = BundleResources.class.getResourceAsStream(DIR + name)) {
      if (in == null) {
        throw new IllegalStateException(
            "bundle resource missing from the classpath: " + DIR + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
