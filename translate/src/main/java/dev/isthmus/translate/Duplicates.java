package dev.isthmus.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Duplicates} finds rendered objects that would overwrite each other (same kind, namespace
 * and name, e.g. two gateways with one name) and webhook configurations with duplicate webhook
 * names.
 */
final class Duplicates {
  private Duplicates() {}

  static List<String> find(List<ComponentManifest> components) {
    List<String> errors = new ArrayList<>();
    Map<String, String> seen = new HashMap<>();
    for (ComponentManifest c : components) {
      for (ObjectNode o : c.objects()) {
        String kind = o.path("kind").asText();
        String id =
            kind
                + " "
                + o.path("metadata").path("namespace").asText("")
                + "/"
                + o.path("metadata").path("name").asText();
        String prev = seen.putIfAbsent(id, c.component() + " " + c.name());
        if (prev != null) {
          errors.add(
              "spec.components: "
                  + id
                  + " is rendered by both "
                  + prev
                  + " and "
                  + c.component()
                  + " "
                  + c.name());
        }
        if (kind.endsWith("WebhookConfiguration")) {
          Set<String> names = new HashSet<>();
          for (JsonNode w : o.path("webhooks")) {
            if (!names.add(w.path("name").asText())) {
              errors.add(id + ": duplicate webhook name \"" + w.path("name").asText() + "\"");
            }
          }
        }
      }
    }
    return errors;
  }
}
