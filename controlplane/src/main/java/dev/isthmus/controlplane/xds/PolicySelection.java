package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.Annotated;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.Workload;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy;
import io.fabric8.istio.api.api.security.v1beta1.RequestAuthentication;
import io.fabric8.istio.api.api.type.v1beta1.PolicyTargetReference;
import io.fabric8.istio.api.api.type.v1beta1.WorkloadSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code PolicySelection} finds the AuthorizationPolicies and RequestAuthentications that apply to
 * one proxy, as Istio selects them:
 *
 * <ul>
 *   <li>a policy without {@code targetRef(s)} applies to the workloads of its namespace its {@code
 *       selector} matches (all of them without one); in the root namespace, to the matching
 *       workloads of every namespace;
 *   <li>a policy with {@code targetRef(s)} applies only to what it names: of the kinds a sidecar or
 *       gateway pod can be, a Kubernetes Gateway API {@code Gateway} of its namespace, whose pods
 *       carry {@code gateway.networking.k8s.io/gateway-name}; sidecars never take a targeted policy
 *       (Service and ServiceEntry targets are for waypoints).
 * </ul>
 *
 * <p>Labels are the registry's (the pod's labels from the API server) when the workload is known,
 * the node's metadata otherwise.
 */
final class PolicySelection {
  static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

  private PolicySelection() {}

  /** AuthorizationPolicies of the proxy, in the mesh's order. */
  static List<ConfigEntry<Annotated<AuthorizationPolicy>>> authorization(
      MeshSnapshot mesh, ProxyNode proxy) {
    return select(
        mesh,
        proxy,
        mesh.policies().authorizationPolicies(),
        e -> e.spec().spec().getSelector(),
        e -> targets(e.spec().spec().getTargetRef(), e.spec().spec().getTargetRefs()));
  }

  /** RequestAuthentications of the proxy, in the mesh's order. */
  static List<ConfigEntry<RequestAuthentication>> authentication(
      MeshSnapshot mesh, ProxyNode proxy) {
    return select(
        mesh,
        proxy,
        mesh.policies().requestAuthentications(),
        e -> e.spec().getSelector(),
        e -> targets(e.spec().getTargetRef(), e.spec().getTargetRefs()));
  }

  private static <T> List<ConfigEntry<T>> select(
      MeshSnapshot mesh,
      ProxyNode proxy,
      List<ConfigEntry<T>> policies,
      Function<ConfigEntry<T>, WorkloadSelector> selector,
      Function<ConfigEntry<T>, List<PolicyTargetReference>> targets) {
    if (policies.isEmpty()) {
      return List.of();
    }
    Workload w = mesh.workloads().get(proxy.ip());
    Map<String, String> labels = w != null ? w.labels() : proxy.labels();
    List<ConfigEntry<T>> out = new ArrayList<>();
    for (ConfigEntry<T> e : policies) {
      boolean own = e.namespace().equals(proxy.namespace());
      List<PolicyTargetReference> refs = targets.apply(e);
      if (!refs.isEmpty()) {
        if (own && proxy.type() == ProxyNode.Type.ROUTER && targetsGateway(refs, labels)) {
          out.add(e);
        }
        continue;
      }
      if ((own || e.namespace().equals(mesh.rootNamespace()))
          && matches(selector.apply(e), labels)) {
        out.add(e);
      }
    }
    return out;
  }

  private static List<PolicyTargetReference> targets(
      PolicyTargetReference one, List<PolicyTargetReference> many) {
    List<PolicyTargetReference> out = new ArrayList<>();
    if (one != null) {
      out.add(one);
    }
    if (many != null) {
      out.addAll(many);
    }
    return out;
  }

  private static boolean targetsGateway(
      List<PolicyTargetReference> refs, Map<String, String> labels) {
    String gateway = labels.get(GATEWAY_NAME_LABEL);
    if (gateway == null) {
      return false;
    }
    for (PolicyTargetReference r : refs) {
      if ("Gateway".equals(r.getKind())
          && "gateway.networking.k8s.io".equals(r.getGroup())
          && gateway.equals(r.getName())) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(WorkloadSelector selector, Map<String, String> labels) {
    if (selector == null || selector.getMatchLabels() == null) {
      return true;
    }
    for (var e : selector.getMatchLabels().entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
