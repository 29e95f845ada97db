package dev.isthmus.controlplane.webhooks.inject;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code InjectionPolicy} decides whether a pod gets a sidecar, following Istio's rules: never for
 * host-network pods or system namespaces; the namespace label {@code istio-injection}
 * (enabled/disabled) wins over {@code istio.io/rev}; otherwise the pod's own {@code istio.io/rev}
 * label, or {@code sidecar.istio.io/inject=true} for the default revision; the pod can always opt
 * out with {@code sidecar.istio.io/inject: "false"} (label or annotation); a pod carrying the
 * {@code sidecar.istio.io/status} annotation is never injected twice. A pod that declares its own
 * {@code istio-proxy} container is injected, its fields overriding the template's (Istio's
 * injection customisation).
 */
public final class InjectionPolicy {
  /** Namespaces Istio never injects into. */
  public static final Set<String> IGNORED_NAMESPACES =
      Set.of("kube-system", "kube-public", "kube-node-lease", "local-path-storage");

  static final String INJECT = "sidecar.istio.io/inject";
  static final String STATUS = "sidecar.istio.io/status";
  static final String REV = "istio.io/rev";
  static final String NS_INJECTION = "istio-injection";

  /**
   * The decision and why.
   *
   * @param inject whether to inject
   * @param reason a short explanation (logged and returned in the admission response's audit
   *     annotations)
   */
  public record Decision(boolean inject, String reason) {}

  private InjectionPolicy() {}

  /**
   * Decides for {@code pod} created in {@code namespace} carrying {@code namespaceLabels}.
   *
   * @param revision the revision this injector serves ({@code default} for the unnamed one)
   * @param policy {@code enabled} or {@code disabled} from the injector config
   */
  public static Decision decide(
      Pod pod,
      String namespace,
      Map<String, String> namespaceLabels,
      String revision,
      String policy) {
    return decide(pod, namespace, namespaceLabels, revision, policy, List.of(), List.of());
  }

  /**
   * As {@link #decide(Pod, String, Map, String, String)}, with the injector config's {@code
   * neverInjectSelector} and {@code alwaysInjectSelector}: when the pod says nothing itself, a
   * never-selector match keeps it out and an always-selector match injects it whatever the policy,
   * as Istio decides.
   */
  public static Decision decide(
      Pod pod,
      String namespace,
      Map<String, String> namespaceLabels,
      String revision,
      String policy,
      List<LabelSelector> neverInjectSelector,
      List<LabelSelector> alwaysInjectSelector) {
    var meta = pod.getMetadata();
    Map<String, String> labels =
        meta == null || meta.getLabels() == null ? Map.of() : meta.getLabels();
    Map<String, String> annotations =
        meta == null || meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    Map<String, String> nsLabels = namespaceLabels == null ? Map.of() : namespaceLabels;
    if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      return new Decision(false, "host network pod");
    }
    if (IGNORED_NAMESPACES.contains(namespace)) {
      return new Decision(false, "namespace " + namespace + " is never injected");
    }
    if (annotations.containsKey(STATUS)) {
      return new Decision(false, "pod already injected");
    }
    String podSays = labels.getOrDefault(INJECT, annotations.get(INJECT));
    boolean podFalse = podSays != null && !isTrue(podSays);
    boolean podTrue = podSays != null && isTrue(podSays);
    String nsInjection = nsLabels.get(NS_INJECTION);
    boolean selected;
    String why;
    if (nsInjection != null) {
      selected = nsInjection.equals("enabled") && revision.equals("default");
      why = "namespace label istio-injection=" + nsInjection;
    } else if (nsLabels.containsKey(REV)) {
      selected = nsLabels.get(REV).equals(revision);
      why = "namespace label istio.io/rev=" + nsLabels.get(REV);
    } else if (labels.containsKey(REV)) {
      selected = labels.get(REV).equals(revision);
      why = "pod label istio.io/rev=" + labels.get(REV);
    } else {
      selected = podTrue && revision.equals("default");
      why = podTrue ? "pod requests injection" : "namespace not labelled for injection";
    }
    if (!selected) {
      return new Decision(false, why);
    }
    if (podFalse) {
      return new Decision(false, "pod has sidecar.istio.io/inject=" + podSays);
    }
    if (podSays == null) {
      for (int i = 0; i < neverInjectSelector.size(); i++) {
        if (matches(neverInjectSelector.get(i), labels)) {
          return new Decision(false, "pod matches neverInjectSelector[" + i + "]");
        }
      }
      for (int i = 0; i < alwaysInjectSelector.size(); i++) {
        if (matches(alwaysInjectSelector.get(i), labels)) {
          return new Decision(true, "pod matches alwaysInjectSelector[" + i + "]");
        }
      }
    }
    if ("disabled".equals(policy) && !podTrue) {
      return new Decision(false, "policy disabled and pod does not request injection");
    }
    return new Decision(true, why);
  }

  /**
   * The decision for a manifest injected offline ({@code kube-inject}): only host networking, a
   * system namespace or the pod's own {@code sidecar.istio.io/inject} opt-out keep it out.
   */
  public static Decision decideManifest(Pod pod, String namespace) {
    var meta = pod.getMetadata();
    Map<String, String> labels =
        meta == null || meta.getLabels() == null ? Map.of() : meta.getLabels();
    Map<String, String> annotations =
        meta == null || meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      return new Decision(false, "host network pod");
    }
    if (IGNORED_NAMESPACES.contains(namespace)) {
      return new Decision(false, "namespace " + namespace + " is never injected");
    }
    String podSays = labels.getOrDefault(INJECT, annotations.get(INJECT));
    if (podSays != null && !isTrue(podSays)) {
      return new Decision(false, "pod has sidecar.istio.io/inject=" + podSays);
    }
    return new Decision(true, "manifest injection");
  }

  /** Kubernetes label selector semantics; an empty selector matches nothing here, as in Istio. */
  static boolean matches(LabelSelector s, Map<String, String> labels) {
    boolean empty = true;
    if (s.getMatchLabels() != null) {
      for (var e : s.getMatchLabels().entrySet()) {
        empty = false;
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (s.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : s.getMatchExpressions()) {
        empty = false;
        String v = labels.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean ok =
            switch (r.getOperator()) {
              case "In" -> v != null && values.contains(v);
              case "NotIn" -> v == null || !values.contains(v);
              case "Exists" -> labels.containsKey(r.getKey());
              case "DoesNotExist" -> !labels.containsKey(r.getKey());
              default -> false;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return !empty;
  }

  private static boolean isTrue(String v) {
    return v.equalsIgnoreCase("true")
        || v.equalsIgnoreCase("yes")
        || v.equalsIgnoreCase("y")
        || v.equalsIgnoreCase("on")
        || v.equals("1");
  }
}
