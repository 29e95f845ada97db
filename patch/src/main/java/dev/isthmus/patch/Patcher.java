package dev.isthmus.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Patcher} applies a component's {@code k8s} block to its rendered objects: first the {@code
 * k8s.*} settings, then {@code k8s.overlays} (so overlays win).
 *
 * <h2>Settings</h2>
 *
 * <p>Each setting is a Kubernetes strategic merge ({@link StrategicMerge}: maps merge, null
 * deletes, keyed lists merge by key, other lists are replaced, {@code $patch} and the other
 * directives apply) into the objects {@link PatchTarget} names:
 *
 * <table>
 *   <caption>k8s settings and their targets</caption>
 *   <tr><th>setting</th><th>target</th></tr>
 *   <tr><td>affinity, nodeSelector, tolerations, priorityClassName, securityContext, volumes</td>
 *       <td>workload {@code spec.template.spec.*}</td></tr>
 *   <tr><td>podAnnotations</td><td>workload {@code spec.template.metadata.annotations}</td></tr>
 *   <tr><td>env, imagePullPolicy, readinessProbe, resources, volumeMounts</td>
 *       <td>the main container (by name)</td></tr>
 *   <tr><td>replicaCount</td><td>Deployment {@code spec.replicas}, skipped when an
 *       HorizontalPodAutoscaler for the workload was rendered</td></tr>
 *   <tr><td>strategy</td><td>Deployment {@code spec.strategy}</td></tr>
 *   <tr><td>hpaSpec</td><td>HorizontalPodAutoscaler {@code spec} (same name as the workload)</td></tr>
 *   <tr><td>podDisruptionBudget</td><td>PodDisruptionBudget {@code spec}; setting
 *       maxUnavailable drops the rendered minAvailable and vice versa</td></tr>
 *   <tr><td>service</td><td>Service {@code spec}; ports merge by (port, protocol)</td></tr>
 *   <tr><td>serviceAnnotations</td><td>Service {@code metadata.annotations}</td></tr>
 * </table>
 *
 * <p>Lists merge by Kubernetes' merge keys: containers, env, volumes and imagePullSecrets by name,
 * volumeMounts by mountPath, container ports by containerPort; Service ports by (port, protocol), a
 * missing protocol counting as TCP (see {@link StrategicMerge} for why); merged lists keep the
 * order Kubernetes' strategic merge patch gives (as Istio, which uses it). Unlike a plain strategic
 * merge, a setting that picks one member of a union drops the others: a probe handler, env {@code
 * value}/{@code valueFrom}, a volume source, {@code strategy.type: Recreate} (drops {@code
 * rollingUpdate}). A HorizontalPodAutoscaler, PodDisruptionBudget or Service that was not rendered
 * is skipped, as in Istio; a missing workload or main container is an error.
 *
 * <h2>Overlays</h2>
 *
 * <p>{@code overlays: [{apiVersion, kind, name, patches: [{path, value}], jsonPatch, mergePatch}]}
 * applies to every rendered object with that kind and name (and, when apiVersion is given, the same
 * API group: the version is ignored, as Istio ignores apiVersion altogether); naming no object is
 * an error. Within one overlay, {@code patches} run in order, then {@code jsonPatch} (RFC 6902
 * operations), then {@code mergePatch} (RFC 7386). A patch:
 *
 * <ul>
 *   <li>with no value or {@code value: null} deletes what the path names (a map key, or every list
 *       element {@code [k:v]}, {@code [v]} or {@code [N]} selects); deleting nothing is an error;
 *   <li>with a string value holding YAML for a map writes that map (as Istio does);
 *   <li>writes the value at every place the path names: every element a {@code [k:v]} selector
 *       matches (Istio writes only the first);
 *   <li>when the path names a list, must give a list, which replaces it; a scalar or map there is
 *       an error (append with {@code .[-1]} instead);
 *   <li><b>upsert rule</b>: when the last segment is a {@code [k:v]} selector that matches no
 *       element and the value is a map, appends the map as a new element with {@code k: v} added
 *       (as a string) if absent; a map naming a different {@code k} is an error. Any other selector
 *       that matches nothing is an error.
 * </ul>
 *
 * <p>All of this runs on deep copies: on any error the caller gets a {@link PatchException} and the
 * input objects are untouched.
 */
public final class Patcher {

  private Patcher() {}

  /**
   * Applies the k8s block (settings, then overlays incl. jsonPatch/mergePatch) to deep copies of
   * {@code objects} and returns them in the same order.
   *
   * @param objects the component's rendered objects; not modified
   * @param k8s the component's {@code k8s} block as a Jackson tree; null or missing returns copies
   *     unchanged
   * @param target the objects that settings apply to; null means none (only overlays can apply)
   * @param fieldPath prefix of every error's field path, e.g. {@code spec.components.pilot.k8s}
   * @throws PatchException on any error, naming the field path of the input that caused it
   */
  public static List<ObjectNode> apply(
      List<ObjectNode> objects, JsonNode k8s, PatchTarget target, String fieldPath) {
    String at = fieldPath == null || fieldPath.isEmpty() ? "k8s" : fieldPath;
    List<ObjectNode> copies = new ArrayList<>(objects.size());
    for (ObjectNode o : objects) {
      copies.add(o.deepCopy());
    }
    if (k8s == null || k8s.isNull() || k8s.isMissingNode()) {
      return copies;
    }
    if (!(k8s instanceof ObjectNode block)) {
      throw new PatchException(at, "expected a map but found " + k8s);
    }
    PatchTarget t = target == null ? new PatchTarget(null, null, null, null) : target;
    new K8sSettings(copies, block, t, at).apply();
    Overlays.apply(copies, block.get("overlays"), at + ".overlays");
    return copies;
  }
}
