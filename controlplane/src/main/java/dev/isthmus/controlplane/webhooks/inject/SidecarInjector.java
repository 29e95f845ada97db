package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.webhooks.JsonNulls;
import dev.isthmus.gotmpl.Template;
import dev.isthmus.patch.PatchException;
import dev.isthmus.patch.StrategicMerge;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code SidecarInjector} computes the mutation of a pod submitted to the {@code /inject} webhook,
 * as Istio's injector does: decide ({@link InjectionPolicy}); pick the templates ({@code
 * inject.istio.io/templates}, else the config's {@code defaultTemplates}); render each template of
 * the {@code istio-sidecar-injector} ConfigMap against {@link TemplateData}, parse the output as a
 * pod and overlay it onto the pod with Kubernetes' strategic merge patch ({@link
 * StrategicMerge#POD}, as Istio's {@code applyOverlayYAML}, directives included); post-process
 * ({@link PodMetadata}); and return the JSON Patch from the submitted pod to the result.
 *
 * <p>A missing or failing template is an error, as in Istio: the admission response refuses the pod
 * with a message naming the template, its line and the failing function or field.
 */
public final class SidecarInjector {
  static final String TEMPLATES = "inject.istio.io/templates";
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();

  private final Supplier<InjectionConfig> config;
  private final String istioNamespace;
  private final Function<String, Map<String, String>> namespaceLabels;
  private final InjectorFeatures features;

  /**
   * @param config the current injector config (re-read on every request so ConfigMap changes apply
   *     at once)
   * @param istioNamespace the control plane's namespace, used for the discovery address unless
   *     values set {@code global.istioNamespace}
   * @param namespaceLabels labels of a namespace by name; empty map when unknown
   */
  public SidecarInjector(
      Supplier<InjectionConfig> config,
      String istioNamespace,
      Function<String, Map<String, String>> namespaceLabels) {
    this(config, istioNamespace, namespaceLabels, InjectorFeatures.fromEnv());
  }

  /** As above, with explicit {@link InjectorFeatures} instead of the process environment's. */
  public SidecarInjector(
      Supplier<InjectionConfig> config,
      String istioNamespace,
      Function<String, Map<String, String>> namespaceLabels,
      InjectorFeatures features) {
    this.config = config;
    this.istioNamespace = istioNamespace;
    this.namespaceLabels = namespaceLabels;
    this.features = features;
  }

  /**
   * Decides and builds the patch for one pod.
   *
   * @param podJson the pod as submitted ({@code request.object})
   * @param namespace the request's namespace (the pod's own may still be empty)
   * @throws IllegalArgumentException when the pod, an annotation the injector reads or a template
   *     fails; the message names the field or template
   */
  public InjectionResult inject(JsonNode podJson, String namespace) {
    return inject(podJson, namespace, null, false);
  }

  /**
   * As {@link #inject(JsonNode, String)} for a pod template of a known {@code workload}, as {@code
   * istioctl kube-inject} injects manifests: the injection policy is {@code enabled} whatever the
   * config says (only the pod's own opt-out counts), a pod injected before is injected again, and
   * the workload identity is the manifest's ({@code null} to derive it from the pod).
   */
  public InjectionResult injectManifest(JsonNode podJson, String namespace, Workload workload) {
    return inject(podJson, namespace, workload, true);
  }

  private InjectionResult inject(
      JsonNode podJson, String namespace, Workload workload, boolean manifest) {
    var badNull =
        JsonNulls.inList(podJson, "object")
            .or(() -> JsonNulls.inMap(podJson.path("metadata").path("labels"), "metadata.labels"))
            .or(
                () ->
                    JsonNulls.inMap(
                        podJson.path("metadata").path("annotations"), "metadata.annotations"));
    if (badNull.isPresent()) {
      throw new IllegalArgumentException(badNull.get() + ": must not be null");
    }
    Pod pod;
    try {
      pod = MAPPER.treeToValue(podJson, Pod.class);
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(path(e) + ": " + e.getOriginalMessage(), e);
    } catch (Exception e) {
      throw new IllegalArgumentException("object: " + e.getMessage(), e);
    }
    if (pod.getMetadata() == null
        || pod.getSpec() == null
        || pod.getSpec().getContainers() == null) {
      throw new IllegalArgumentException("object: a pod needs metadata and spec.containers");
    }
    requireOwnerFields(pod);
    String ns =
        namespace == null || namespace.isEmpty()
            ? Objects.requireNonNullElse(pod.getMetadata().getNamespace(), "default")
            : namespace;
    InjectionConfig cfg = config.get();
    var decision =
        manifest
            ? InjectionPolicy.decideManifest(pod, ns)
            : InjectionPolicy.decide(
                pod,
                ns,
                namespaceLabels.apply(ns),
                cfg.revision(),
                cfg.policy(),
                cfg.neverInjectSelector(),
                cfg.alwaysInjectSelector());
    if (!decision.inject()) {
      return new InjectionResult(
          false, decision.reason(), JsonNodeFactory.instance.arrayNode(), pod);
    }
    AnnotationValidation.check(
        pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations());
    InjectionContext ctx = new InjectionContext(pod, ns, cfg, istioNamespace, workload, features);
    ObjectNode original = MAPPER.valueToTree(pod);
    ObjectNode stripped = Customisations.strip(original, ctx.meshStatusPort());
    Map<String, Object> data = TemplateData.build(ctx, stripped);
    ObjectNode merged = original.deepCopy();
    ObjectNode templatePod = JsonNodeFactory.instance.objectNode();
    for (String name : templates(ctx, cfg)) {
      Template t = cfg.templates().get(name);
      if (t == null && cfg.templates().isEmpty()) {
        throw new IllegalArgumentException(
            "requested injection template \""
                + name
                + "\" not found: no injection templates are configured (the"
                + " istio-sidecar-injector ConfigMap is missing or has no config.templates)");
      }
      if (t == null) {
        throw new IllegalArgumentException(
            "requested injection template \""
                + name
                + "\" not found; have "
                + cfg.templates().keySet().stream().sorted().toList());
      }
      ObjectNode overlay = overlay(name, t.execute(data));
      try {
        StrategicMerge.POD.merge(templatePod, overlay);
        if (ctx.nativeSidecars()) {
          Customisations.moveProxyToInit(merged, templatePod);
        }
        StrategicMerge.POD.merge(merged, overlay);
      } catch (PatchException e) {
        throw new IllegalArgumentException(
            "injection template \"" + name + "\" cannot be merged into the pod: " + e.getMessage(),
            e);
      }
    }
    Customisations.reapply(merged, original, templatePod, ctx.tproxy());
    defaultVolumeSources(merged);
    PodMetadata.apply(
        ctx,
        merged,
        templatePod,
        original.path("metadata").path("annotations").has(InjectionPolicy.STATUS));
    Pod mutated;
    try {
      mutated = MAPPER.treeToValue(merged, Pod.class);
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(
          "injected pod: " + path(e) + ": " + e.getOriginalMessage(), e);
    } catch (Exception e) {
      throw new IllegalArgumentException("injected pod: " + e.getMessage(), e);
    }
    ArrayNode patch = JsonPatches.diff(podJson, MAPPER.valueToTree(mutated));
    return new InjectionResult(true, decision.reason(), patch, mutated);
  }

  /**
   * The API server validates owner references only after the mutating webhooks ran, so one without
   * the fields the workload's name and kind are derived from can reach us.
   */
  private static void requireOwnerFields(Pod pod) {
    var owners = pod.getMetadata().getOwnerReferences();
    for (int i = 0; owners != null && i < owners.size(); i++) {
      var o = owners.get(i);
      String missing =
          o.getApiVersion() == null
              ? "apiVersion"
              : o.getKind() == null ? "kind" : o.getName() == null ? "name" : null;
      if (missing != null) {
        throw new IllegalArgumentException(
            "metadata.ownerReferences[" + i + "]." + missing + ": Required value");
      }
    }
  }

  private static ObjectNode overlay(String name, String rendered) {
    JsonNode n;
    try {
      Object o = Serialization.unmarshal(rendered, Object.class);
      n = o == null ? JsonNodeFactory.instance.objectNode() : MAPPER.valueToTree(o);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "injection template \"" + name + "\" rendered invalid YAML: " + e.getMessage(), e);
    }
    if (!n.isObject()) {
      throw new IllegalArgumentException(
          "injection template \"" + name + "\" must render a pod object, got " + n.getNodeType());
    }
    return (ObjectNode) n;
  }

  /** A volume without a source is an emptyDir, as the API server's defaulting makes it. */
  private static void defaultVolumeSources(ObjectNode pod) {
    JsonNode volumes = pod.path("spec").path("volumes");
    for (JsonNode v : volumes) {
      if (v instanceof ObjectNode o && o.size() == 1 && o.has("name")) {
        o.putObject("emptyDir");
      }
    }
  }

  private static List<String> templates(InjectionContext ctx, InjectionConfig cfg) {
    String a = ctx.annotations.get(TEMPLATES);
    if (a == null || a.isBlank()) {
      return cfg.defaultTemplates();
    }
    return Arrays.stream(a.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (var ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "object" : sb.toString();
  }
}
