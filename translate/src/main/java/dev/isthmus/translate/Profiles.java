package dev.isthmus.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * {@code Profiles} holds the built-in installation profiles. Each is an IstioOperator resource
 * under {@code dev/isthmus/translate/profiles/}; a named profile is merged on top of {@code
 * default}, as Istio does.
 */
public final class Profiles {
  /** Built-in profile names, in the order {@code profile list} prints them. */
  public static final List<String> NAMES =
      List.of(
          "ambient",
          "default",
          "demo",
          "empty",
          "minimal",
          "openshift",
          "openshift-ambient",
          "preview",
          "remote",
          "stable");

  private static final java.util.Map<String, ObjectNode> TREES =
      new java.util.concurrent.ConcurrentHashMap<>();

  private Profiles() {}

  /** The YAML text of a built-in profile, if {@code name} is one. */
  public static Optional<String> text(String name) {
    if (!NAMES.contains(name)) {
      return Optional.empty();
    }
    String res = "/dev/isthmus/translate/profiles/" + name + ".yaml";
    try (InputStream in = Profiles.class.getResourceAsStream(res)) {
      if (in == null) {
        throw new IllegalStateException("profile resource missing from the classpath: " + res);
      }
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The IstioOperator tree of a built-in profile (not yet merged on default). */
  public static ObjectNode tree(String name) {
    return TREES.computeIfAbsent(name, Profiles::parse).deepCopy();
  }

  private static ObjectNode parse(String name) {
    String text =
        text(name)
            .orElseThrow(
                () ->
                    new ValidationException(
                        List.of(
                            "spec.profile: unknown profile \""
                                + name
                                + "\", expected one of "
                                + String.join(", ", NAMES))));
    JsonNode n = Yamls.parseAll(text).get(0);
    return (ObjectNode) n;
  }
}
