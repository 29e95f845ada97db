package dev.isthmus.controlplane.webhooks.inject;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LocalObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code SidecarInjector} computes the mutation of a pod submitted to the {@code /inject} webhook:
 * whether to inject ({@link InjectionPolicy}), which templates ({@code inject.istio.io/templates},
 * else the config's default templates; {@code sidecar} and {@code grpc-agent} are supported), and
 * the JSON Patch to return.
 *
 * <p>Templates are built in Java from the injection values rather than by evaluating Istio's Go
 * templates; the values and annotations honoured are listed in {@link SidecarTemplate}, {@link
 * GrpcAgentTemplate} and {@link InjectionContext}. Custom templates under {@code
 * sidecarInjectorWebhook.templates} are not supported.
 */
public final class SidecarInjector {
  static final String TEMPLATES = "inject.istio.io/templates";
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();

  private final Supplier<InjectionConfig> config;
  private final String istioNamespace;
  private final Function<String, Map<String, String>> namespaceLabels;

  /**
   * @param config the current injector config (re-read on every request so ConfigMap changes apply
   *     at once)
   * @param istioNamespace the control plane's namespace, used for {@code CA_ADDR} unless values set
   *     it
   * @param namespaceLabels labels of a namespace by name; empty map when unknown
   */
  public SidecarInjector(
      Supplier<InjectionConfig> config,
      String istioNamespace,
      Function<String, Map<String, String>> namespaceLabels) {
    this.config = config;
    this.istioNamespace = istioNamespace;
    this.namespaceLabels = namespaceLabels;
  }

  /**
   * Decides and builds the patch for one pod.
   *
   * @param podJson the pod as submitted ({@code request.object})
   * @param namespace the request's namespace (the pod's own may still be empty)
   * @throws IllegalArgumentException when the pod or an annotation the templates read cannot be
   *     parsed; the message names the field
   */
  public InjectionResult inject(JsonNode podJson, String namespace) {
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
    String ns =
        namespace == null || namespace.isEmpty()
            ? Objects.requireNonNullElse(pod.getMetadata().getNamespace(), "default")
            : namespace;
    InjectionConfig cfg = config.get();
    var decision =
        InjectionPolicy.decide(pod, ns, namespaceLabels.apply(ns), cfg.revision(), cfg.policy());
    if (!decision.inject()) {
      return new InjectionResult(
          false, decision.reason(), JsonNodeFactory.instance.arrayNode(), pod);
    }
    Pod mutated = MAPPER.convertValue(podJson, Pod.class);
    InjectionContext ctx = new InjectionContext(mutated, ns, cfg, istioNamespace);
    List<String> templates = templates(ctx, cfg);
    Map<String, List<String>> status = new LinkedHashMap<>();
    status.put("initContainers", new ArrayList<>());
    status.put("containers", new ArrayList<>());
    status.put("volumes", new ArrayList<>());
    for (String t : templates) {
      switch (t) {
        case "sidecar" -> applySidecar(ctx, mutated, status);
        case "grpc-agent" -> applyGrpcAgent(ctx, mutated, status);
        default ->
            throw new IllegalArgumentException(
                "metadata.annotations["
                    + TEMPLATES
                    + "]: unknown injection template \""
                    + t
                    + "\" (supported: sidecar, grpc-agent)");
      }
    }
    PodMetadata.apply(ctx, mutated, templates, status);
    ArrayNode patch = JsonPatches.diff(podJson, MAPPER.valueToTree(mutated));
    return new InjectionResult(true, decision.reason(), patch, mutated);
  }

  private static List<String> templates(InjectionContext ctx, InjectionConfig cfg) {
    String a = ctx.annotations.get(TEMPLATES);
    if (a == null || a.isBlank()) {
      return cfg.defaultTemplates();
    }
    return Arrays.stream(a.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static void applySidecar(
      InjectionContext ctx, Pod pod, Map<String, List<String>> status) {
    var spec = pod.getSpec();
    Container init = SidecarTemplate.initContainer(ctx);
    if (init != null) {
      List<Container> inits =
          new ArrayList<>(spec.getInitContainers() == null ? List.of() : spec.getInitContainers());
      inits.removeIf(c -> c.getName().equals(init.getName()));
      inits.add(0, init);
      spec.setInitContainers(inits);
      status.get("initContainers").add(init.getName());
    }
    List<Container> containers = new ArrayList<>(spec.getContainers());
    String probers = null;
    if (ProbeRewriter.enabled(ctx)) {
      probers =
          ProbeRewriter.rewrite(
              containers, SidecarTemplate.intValue(ctx.statusPort(), "status port"));
    }
    Container proxy = SidecarTemplate.proxyContainer(ctx, probers);
    if (ctx.holdApplicationUntilProxyStarts()) {
      containers.add(0, proxy);
    } else {
      containers.add(proxy);
    }
    spec.setContainers(containers);
    status.get("containers").add("istio-proxy");
    addVolumes(pod, ProxyParts.volumes(ctx, "istio-envoy", true), status);
  }

  private static void applyGrpcAgent(
      InjectionContext ctx, Pod pod, Map<String, List<String>> status) {
    var spec = pod.getSpec();
    List<Container> containers = new ArrayList<>();
    for (Container c : spec.getContainers()) {
      containers.add("istio-proxy".equals(c.getName()) ? c : GrpcAgentTemplate.appContainer(c));
    }
    containers.removeIf(c -> "istio-proxy".equals(c.getName()));
    containers.add(GrpcAgentTemplate.proxyContainer(ctx));
    spec.setContainers(containers);
    status.get("containers").add("istio-proxy");
    addVolumes(pod, ProxyParts.volumes(ctx, "istio-xds", false), status);
  }

  private static void addVolumes(Pod pod, List<Volume> add, Map<String, List<String>> status) {
    List<Volume> volumes =
        new ArrayList<>(
            pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes());
    for (Volume v : add) {
      if (volumes.stream().noneMatch(x -> x.getName().equals(v.getName()))) {
        volumes.add(v);
      }
      if (!status.get("volumes").contains(v.getName())) {
        status.get("volumes").add(v.getName());
      }
    }
    pod.getSpec().setVolumes(volumes);
  }

  static void imagePullSecrets(InjectionContext ctx, Pod pod) {
    JsonNode secrets = ctx.config.value("global.imagePullSecrets");
    if (!secrets.isArray() || secrets.isEmpty()) {
      return;
    }
    var list =
        new ArrayList<>(
            pod.getSpec().getImagePullSecrets() == null
                ? List.of()
                : pod.getSpec().getImagePullSecrets());
    for (JsonNode s : secrets) {
      String name = s.isObject() ? s.path("name").asText() : s.asText();
      if (list.stream().noneMatch(r -> name.equals(r.getName()))) {
        list.add(new LocalObjectReferenceBuilder().withName(name).build());
      }
    }
    pod.getSpec().setImagePullSecrets(list);
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

  static ObjectNode emptyObject() {
    return JsonNodeFactory.instance.objectNode();
  }
}
