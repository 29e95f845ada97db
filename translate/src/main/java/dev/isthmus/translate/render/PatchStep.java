package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.KubernetesResources;
import dev.isthmus.patch.PatchTarget;
import dev.isthmus.patch.Patcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;

/**
 * {@code PatchStep} is the single place translate hands rendered objects to the patch module:
 * component {@code k8s.*} settings, then overlays (including jsonPatch and mergePatch).
 */
public final class PatchStep {
  private PatchStep() {}

  /** A workload the k8s settings address; null fields mean the component has none. */
  public record Target(
      String workloadKind, String workloadName, String container, String service) {}

  /**
   * Applies {@code k8s} to {@code objects}; returns new objects, inputs untouched.
   *
   * @throws dev.isthmus.patch.PatchException naming the field path under {@code fieldPath}
   */
  public static List<ObjectNode> apply(
      List<ObjectNode> objects, KubernetesResources k8s, Target target, String fieldPath) {
    if (k8s == null) {
      return objects;
    }
    JsonNode block = Serialization.jsonMapper().valueToTree(k8s);
    PatchTarget t =
        target == null
            ? new PatchTarget(null, null, null, null)
            : new PatchTarget(
                target.workloadKind(), target.workloadName(), target.container(), target.service());
    return Patcher.apply(objects, block, t, fieldPath);
  }
}
