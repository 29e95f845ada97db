package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.KubernetesResources;
import java.util.List;

/**
 * {@code PatchStep} is the single place translate hands rendered objects to the patch module:
 * component {@code k8s.*} settings, then overlays.
 */
public final class PatchStep {
  private PatchStep() {}

  /** A workload the k8s settings address. */
  public record Target(
      String workloadKind, String workloadName, String container, String service) {}

  /**
   * Applies {@code k8s} to {@code objects}; returns new objects, inputs untouched. Errors name
   * {@code fieldPath}.
   */
  public static List<ObjectNode> apply(
      List<ObjectNode> objects, KubernetesResources k8s, Target target, String fieldPath) {
    if (k8s == null) {
      return objects;
    }
    throw new UnsupportedOperationException(fieldPath + ": k8s settings need the patch module");
  }
}
