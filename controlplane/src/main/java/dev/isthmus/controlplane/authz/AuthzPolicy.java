package dev.isthmus.controlplane.authz;

import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy;
import java.util.Map;

/**
 * {@code AuthzPolicy} is one authorization policy as the builder needs it: where it lives, its
 * annotations (for {@code istio.io/dry-run}) and its spec.
 *
 * @param namespace the policy's namespace; also the default namespace of its service accounts
 * @param name the policy's name
 * @param annotations the policy's annotations, may be empty
 * @param spec the policy's spec
 */
public record AuthzPolicy(
    String namespace, String name, Map<String, String> annotations, AuthorizationPolicy spec) {

  /** {@code DRY_RUN} is the annotation that turns a policy into shadow rules. */
  public static final String DRY_RUN = "istio.io/dry-run";

  public AuthzPolicy {
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** {@code of} reads namespace, name and annotations from a v1beta1 resource's metadata. */
  public static AuthzPolicy of(io.fabric8.istio.api.security.v1beta1.AuthorizationPolicy resource) {
    var meta = resource.getMetadata();
    return new AuthzPolicy(
        meta.getNamespace(), meta.getName(), meta.getAnnotations(), resource.getSpec());
  }

  /** {@code of} reads namespace, name and annotations from the resource's metadata. */
  public static AuthzPolicy of(io.fabric8.istio.api.security.v1.AuthorizationPolicy resource) {
    var meta = resource.getMetadata();
    return new AuthzPolicy(
        meta.getNamespace(), meta.getName(), meta.getAnnotations(), resource.getSpec());
  }
}
