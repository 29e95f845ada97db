package dev.isthmus.controlplane.model;

import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy;
import io.fabric8.istio.api.api.security.v1beta1.RequestAuthentication;
import java.util.List;

/**
 * {@code SecurityPolicies} is the request-level security configuration of the mesh: valid
 * AuthorizationPolicies (with their dry-run annotation) and RequestAuthentications, in Istio's
 * order (oldest first, then name, then namespace).
 *
 * @param authorizationPolicies AuthorizationPolicies
 * @param requestAuthentications RequestAuthentications
 */
public record SecurityPolicies(
    List<ConfigEntry<Annotated<AuthorizationPolicy>>> authorizationPolicies,
    List<ConfigEntry<RequestAuthentication>> requestAuthentications) {

  /** The annotation that turns an AuthorizationPolicy into a dry run. */
  public static final String DRY_RUN = "istio.io/dry-run";

  /** No policies. */
  public static final SecurityPolicies NONE = new SecurityPolicies(List.of(), List.of());

  public SecurityPolicies {
    authorizationPolicies = List.copyOf(authorizationPolicies);
    requestAuthentications = List.copyOf(requestAuthentications);
  }
}
