package dev.isthmus.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import java.util.List;

/**
 * {@code RenderResult} is everything one rendering produced.
 *
 * @param merged the IstioOperator after merging default profile, named profile and user input
 * @param values the values tree the renderers read (translated spec plus user values)
 * @param components the enabled components in apply order
 * @param warnings deprecated or ignored settings, and validation errors downgraded by force
 */
public record RenderResult(
    IstioOperator merged,
    ObjectNode values,
    List<ComponentManifest> components,
    List<String> warnings) {
  /** Copies the lists. */
  public RenderResult {
    components = List.copyOf(components);
    warnings = List.copyOf(warnings);
  }

  /** All objects in apply order as one multi-document YAML stream; same result, same bytes. */
  public String toYaml() {
    StringBuilder sb = new StringBuilder();
    for (ComponentManifest c : components) {
      for (ObjectNode o : c.objects()) {
        sb.append(Yamls.toYaml(o)).append("---\n");
      }
    }
    return sb.toString();
  }

  /** Every object in apply order. */
  public List<ObjectNode> objects() {
    return components.stream().flatMap(c -> c.objects().stream()).toList();
  }
}
