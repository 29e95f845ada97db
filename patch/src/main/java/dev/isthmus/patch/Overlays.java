package dev.isthmus.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.flipkart.zjsonpatch.JsonPatch;
import com.flipkart.zjsonpatch.JsonPatchApplicationException;
import dev.isthmus.tpath.PathException;
import dev.isthmus.tpath.TreePath;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code Overlays} applies {@code k8s.overlays} to rendered objects; see {@link Patcher}. */
final class Overlays {

  private static final ObjectMapper YAML = new YAMLMapper();
  private static final Set<String> OVERLAY_FIELDS =
      Set.of("apiVersion", "kind", "name", "patches", "jsonPatch", "mergePatch");
  private static final Set<String> PATCH_FIELDS = Set.of("path", "value");

  private Overlays() {}

  /** Applies every overlay to the objects it names, replacing list entries in place. */
  static void apply(List<ObjectNode> objects, JsonNode overlays, String fieldPath) {
    if (overlays == null || overlays.isNull()) {
      return;
    }
    for (int i = 0; i < overlays.size(); i++) {
      applyOne(objects, overlays.get(i), fieldPath + "[" + i + "]");
    }
  }

  private static void applyOne(List<ObjectNode> objects, JsonNode overlay, String at) {
    if (!overlay.isObject()) {
      throw new PatchException(
          at, "expected a map with kind, name and patches but found " + overlay);
    }
    overlay
        .fieldNames()
        .forEachRemaining(
            f -> {
              if (!OVERLAY_FIELDS.contains(f)) {
                throw new PatchException(
                    at + "." + f, "unknown field; expected one of " + sorted(OVERLAY_FIELDS));
              }
            });
    String kind = requiredText(overlay, "kind", at);
    String name = requiredText(overlay, "name", at);
    String apiVersion = optionalText(overlay, "apiVersion", at);
    List<Integer> matches = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      ObjectNode o = objects.get(i);
      if (kind.equals(o.path("kind").asText())
          && name.equals(o.path("metadata").path("name").asText())
          && (apiVersion == null
              || group(apiVersion).equals(group(o.path("apiVersion").asText())))) {
        matches.add(i);
      }
    }
    if (matches.isEmpty()) {
      throw new PatchException(
          at,
          "no rendered object is a "
              + kind
              + " named "
              + name
              + (apiVersion == null ? "" : " in API group of " + apiVersion));
    }
    for (int idx : matches) {
      ObjectNode obj = objects.get(idx);
      JsonNode patches = overlay.get("patches");
      if (patches != null && !patches.isNull()) {
        if (!patches.isArray()) {
          throw new PatchException(at + ".patches", "expected a list but found " + patches);
        }
        for (int j = 0; j < patches.size(); j++) {
          pathPatch(obj, patches.get(j), at + ".patches[" + j + "]");
        }
      }
      obj = jsonPatch(obj, overlay.get("jsonPatch"), at + ".jsonPatch");
      obj = mergePatch(obj, overlay.get("mergePatch"), at + ".mergePatch");
      objects.set(idx, obj);
    }
  }

  private static void pathPatch(ObjectNode obj, JsonNode patch, String at) {
    if (!patch.isObject()) {
      throw new PatchException(at, "expected a map with path and value but found " + patch);
    }
    patch
        .fieldNames()
        .forEachRemaining(
            f -> {
              if (!PATCH_FIELDS.contains(f)) {
                throw new PatchException(at + "." + f, "unknown field; expected path or value");
              }
            });
    String text = requiredText(patch, "path", at);
    JsonNode value = patch.get("value");
    try {
      TreePath path = TreePath.parse(text);
      if (value == null || value.isNull()) {
        path.delete(obj);
        return;
      }
      value = yamlMapFromString(value);
      if (!value.isArray()) {
        for (JsonNode existing : existing(path, obj)) {
          if (existing.isArray()) {
            throw new PatchException(
                at + ".value",
                "path "
                    + text
                    + " names a list: give a list to replace it whole, or add an element with "
                    + text
                    + ".[-1]");
          }
        }
      }
      if (value.isObject()) {
        path.upsert(obj, value);
      } else {
        path.set(obj, value);
      }
    } catch (PathException e) {
      throw new PatchException(at + ".path", e.getMessage(), e);
    }
  }

  private static List<JsonNode> existing(TreePath path, JsonNode obj) {
    try {
      return path.getAll(obj);
    } catch (PathException e) {
      return List.of();
    }
  }

  /** Istio compatibility: a string holding a YAML map (e.g. written with {@code |}) is that map. */
  static JsonNode yamlMapFromString(JsonNode value) {
    if (!value.isTextual()) {
      return value;
    }
    try {
      JsonNode parsed = YAML.readTree(value.asText());
      return parsed != null && parsed.isObject() ? parsed : value;
    } catch (Exception e) {
      return value;
    }
  }

  private static ObjectNode jsonPatch(ObjectNode obj, JsonNode ops, String at) {
    if (ops == null || ops.isNull()) {
      return obj;
    }
    if (!(ops instanceof ArrayNode)) {
      throw new PatchException(at, "expected a list of RFC 6902 operations but found " + ops);
    }
    JsonNode result;
    try {
      result = JsonPatch.apply(ops, obj);
    } catch (JsonPatchApplicationException e) {
      throw new PatchException(at, e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new PatchException(at, "invalid JSON patch: " + e.getMessage(), e);
    }
    if (!(result instanceof ObjectNode o)) {
      throw new PatchException(at, "the patched object is no longer a map");
    }
    return o;
  }

  private static ObjectNode mergePatch(ObjectNode obj, JsonNode patch, String at) {
    if (patch == null || patch.isNull()) {
      return obj;
    }
    if (!patch.isObject()) {
      throw new PatchException(at, "expected a map (RFC 7386 merge patch) but found " + patch);
    }
    return (ObjectNode) MergePatch.apply(obj, patch);
  }

  private static String requiredText(JsonNode node, String field, String at) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull() || v.asText().isEmpty()) {
      throw new PatchException(at + "." + field, "required");
    }
    if (!v.isTextual()) {
      throw new PatchException(at + "." + field, "expected a string but found " + v);
    }
    return v.asText();
  }

  private static String optionalText(JsonNode node, String field, String at) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty())) {
      return null;
    }
    return requiredText(node, field, at);
  }

  /**
   * The API group of an apiVersion ("" for the core group). Overlays match by group only: Istio
   * ignores apiVersion entirely, and users' overlays still name older versions (e.g. {@code
   * autoscaling/v2beta1}) of objects now rendered at newer ones.
   */
  private static String group(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
