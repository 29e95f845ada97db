package dev.isthmus.translate;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.render.ComponentRenderer;
import dev.isthmus.translate.render.Owner;
import dev.isthmus.translate.render.Vals;
import dev.isthmus.translate.validate.HpaUpgrade;
import dev.isthmus.translate.validate.StrictChecker;
import dev.isthmus.translate.validate.Validator;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code Translator} turns IstioOperator input into rendered Kubernetes objects: merge the default
 * profile, the named profile and the user's input; validate (every error collected); translate the
 * spec to values; render every enabled component; apply k8s settings and overlays. Pure: no I/O, no
 * clock, same input gives the same bytes.
 */
public final class Translator {
  private static final ObjectMapper LENIENT =
      Serialization.jsonMapper().copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Translator() {}

  /**
   * Operator path: merge default, named profile and {@code iop}, validate, translate, render and
   * patch.
   *
   * @throws ValidationException with every problem found, each naming its field path
   */
  public static RenderResult render(IstioOperator iop) {
    ObjectNode tree = Serialization.jsonMapper().valueToTree(iop);
    tree.remove("status");
    JsonNode meta = tree.get("metadata");
    if (meta instanceof ObjectNode m) {
      for (String f :
          List.of(
              "managedFields",
              "resourceVersion",
              "uid",
              "generation",
              "creationTimestamp",
              "selfLink")) {
        m.remove(f);
      }
    }
    String name = iop.getMetadata() == null ? null : iop.getMetadata().getName();
    String ns = iop.getMetadata() == null ? null : iop.getMetadata().getNamespace();
    return run(List.of(tree), List.of(), null, false, Map.of(), name, ns);
  }

  /**
   * CLI path: {@code yamlDocuments} are the {@code -f} files' contents in order, {@code sets} are
   * {@code PATH=VALUE} flags, {@code revision} may be null; {@code force} downgrades validation
   * errors to warnings.
   */
  public static RenderResult render(
      List<String> yamlDocuments, List<String> sets, String revision, boolean force) {
    return render(yamlDocuments, sets, revision, force, Map.of());
  }

  /**
   * As {@link #render(List, List, String, boolean)}, with {@code profileFiles} mapping a profile
   * name that is a file path to that file's contents (read by the caller).
   */
  public static RenderResult render(
      List<String> yamlDocuments,
      List<String> sets,
      String revision,
      boolean force,
      Map<String, String> profileFiles) {
    List<String> errors = new ArrayList<>();
    List<ObjectNode> trees = new ArrayList<>();
    for (int i = 0; i < yamlDocuments.size(); i++) {
      String where = "input " + (i + 1);
      List<JsonNode> docs;
      try {
        docs = Yamls.parseAll(yamlDocuments.get(i));
      } catch (ValidationException e) {
        errors.add(where + ": " + e.getMessage());
        continue;
      }
      List<JsonNode> present = docs.stream().filter(d -> d != null && !d.isNull()).toList();
      if (present.size() > 1) {
        errors.add(
            where
                + ": contains "
                + present.size()
                + " IstioOperator documents; exactly one is allowed per file");
        continue;
      }
      for (JsonNode d : present) {
        if (!d.isObject()) {
          errors.add(where + ": expected an IstioOperator object");
        } else {
          trees.add((ObjectNode) d);
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
    return run(trees, sets, revision, force, profileFiles, null, null);
  }

  /**
   * The profile the input asks for ({@code spec.profile} of the last file that sets it, or a {@code
   * --set profile=} flag), or {@code default}. Lets a caller read a profile file first.
   */
  public static String requestedProfile(List<String> yamlDocuments, List<String> sets) {
    String profile = "default";
    for (String doc : yamlDocuments) {
      try {
        for (JsonNode d : Yamls.parseAll(doc)) {
          String p = d == null ? null : text(d.path("spec").get("profile"), null);
          if (p != null) {
            profile = p;
          }
        }
      } catch (ValidationException e) {
        // reported by render
      }
    }
    for (String s : sets) {
      for (String prefix : List.of("profile=", "spec.profile=")) {
        if (s.startsWith(prefix) && s.length() > prefix.length()) {
          profile = s.substring(prefix.length());
        }
      }
    }
    return profile;
  }

  private static RenderResult run(
      List<ObjectNode> inputs,
      List<String> sets,
      String revision,
      boolean force,
      Map<String, String> profileFiles,
      String ownerName,
      String ownerNamespace) {
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    ObjectNode user = Yamls.object();
    for (ObjectNode in : inputs) {
      JsonNode spec = in.get("spec");
      if (spec != null && !spec.isNull() && !spec.isObject()) {
        errors.add("spec: expected an object, got " + StrictChecker.describe(spec));
        continue;
      }
      JsonNode profile = spec == null ? null : spec.get("profile");
      if (profile != null && !profile.isNull() && !profile.isTextual()) {
        errors.add("spec.profile: expected a string, got " + StrictChecker.describe(profile));
      }
      user = Trees.merge(user, in);
    }
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
    if (!(user.get("spec") instanceof ObjectNode)) {
      user.putObject("spec");
    }
    ObjectNode userSpec = (ObjectNode) user.get("spec");
    for (String s : sets) {
      SetFlags.apply(userSpec, s, errors);
    }
    if (revision != null) {
      userSpec.put("revision", revision);
    }
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
    String profile = text(userSpec.get("profile"), "default");
    ObjectNode merged =
        Trees.merge(profileTree("default", profileFiles), profileTree(profile, profileFiles));
    merged = Trees.merge(merged, user);
    ((ObjectNode) merged.get("spec")).put("profile", profile);
    upgradeHpa((ObjectNode) merged.get("spec"), warnings);

    Validator.Result vr = Validator.validate(merged);
    warnings.addAll(vr.warnings());
    String compat = text(((ObjectNode) merged.get("spec")).get("compatibilityVersion"), null);
    if (compat != null) {
      // Istio maps it to older pilot.env defaults; Isthmus's control plane has one behaviour
      warnings.add(
          "spec.compatibilityVersion: \""
              + compat
              + "\" is kept in the values but changes nothing: the control plane has a single"
              + " behaviour");
    }
    if (!vr.errors().isEmpty()) {
      if (!force) {
        throw new ValidationException(vr.errors());
      }
      vr.errors().forEach(e -> warnings.add("ignored because of --force: " + e));
    }
    IstioOperator iop;
    try {
      iop = LENIENT.treeToValue(merged, IstioOperator.class);
    } catch (JsonMappingException e) {
      throw new ValidationException(
          List.of(path(e) + ": " + Yamls.firstLine(e.getOriginalMessage())));
    } catch (Exception e) {
      throw new ValidationException(List.of("spec: " + Yamls.firstLine(e.getMessage())));
    }
    if (iop.getSpec() == null) {
      iop.setSpec(new dev.isthmus.api.v1alpha1.IstioOperatorSpec());
    }
    ObjectNode values = ValuesTranslator.translate(iop.getSpec());
    String name =
        ownerName != null ? ownerName : text(merged.path("metadata").get("name"), "unknown");
    String ns =
        ownerNamespace != null
            ? ownerNamespace
            : text(user.path("metadata").get("namespace"), null);
    var components =
        Patching.guard(
            () -> ComponentRenderer.render(iop.getSpec(), new Vals(values), new Owner(name, ns)));
    List<String> dup = Duplicates.find(components);
    if (!dup.isEmpty()) {
      throw new ValidationException(dup);
    }
    return new RenderResult(iop, values, components, warnings);
  }

  private static ObjectNode profileTree(String name, Map<String, String> files) {
    if (Profiles.NAMES.contains(name)) {
      return Profiles.tree(name);
    }
    String text = files.get(name);
    if (text == null) {
      throw new ValidationException(
          List.of(
              "spec.profile: unknown profile \""
                  + name
                  + "\"; expected one of "
                  + String.join(", ", Profiles.NAMES)
                  + " or a profile file"));
    }
    List<JsonNode> docs = Yamls.parseAll(text).stream().filter(d -> d != null).toList();
    if (docs.size() != 1 || !docs.get(0).isObject()) {
      throw new ValidationException(
          List.of("spec.profile: " + name + " must hold exactly one IstioOperator"));
    }
    return (ObjectNode) docs.get(0);
  }

  private static void upgradeHpa(ObjectNode spec, List<String> warnings) {
    JsonNode comps = spec.get("components");
    if (comps == null || !comps.isObject()) {
      return;
    }
    comps
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode v = e.getValue();
              if (v != null && v.isArray()) {
                for (int i = 0; i < v.size(); i++) {
                  upgradeOne(v.get(i), "spec.components." + e.getKey() + "[" + i + "]", warnings);
                }
              } else {
                upgradeOne(v, "spec.components." + e.getKey(), warnings);
              }
            });
  }

  private static void upgradeOne(JsonNode comp, String path, List<String> warnings) {
    JsonNode hpa = comp == null ? null : comp.path("k8s").get("hpaSpec");
    if (hpa != null && HpaUpgrade.hasDeprecatedFields(hpa)) {
      warnings.add(
          path + ".k8s.hpaSpec: autoscaling/v2beta1 metric fields are deprecated; converted to v2");
      HpaUpgrade.upgrade(hpa);
    }
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "spec" : sb.toString();
  }

  private static String text(JsonNode n, String def) {
    return n == null || n.isNull() || !n.isValueNode() || n.asText().isEmpty() ? def : n.asText();
  }
}
