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
 * @param settings trust domains, ext_authz providers and resolved key sets
 */
public record SecurityPolicies(
    List<ConfigEntry<Annotated<AuthorizationPolicy>>> authorizationPolicies,
    List<ConfigEntry<RequestAuthentication>> requestAuthentications,
    SecuritySettings settings) {

  /** The annotation that turns an AuthorizationPolicy into a dry run. */
  public static final String DRY_RUN = "istio.io/dry-run";

  /** No policies. */
  public static final SecurityPolicies NONE = new SecurityPolicies(List.of(), List.of());

  public SecurityPolicies {
    authorizationPolicies = List.copyOf(authorizationPolicies);
    requestAuthentications = List.copyOf(requestAuthentications);
    settings = settings == null ? SecuritySettings.DEFAULTS : settings;
  }

  /** Policies with the default settings. */
  public SecurityPolicies(
      List<ConfigEntry<Annotated<AuthorizationPolicy>>> authorizationPolicies,
      List<ConfigEntry<RequestAuthentication>> requestAuthentications) {
    this(authorizationPolicies, requestAuthentications, SecuritySettings.DEFAULTS);
  }

  /** The same policies with other settings. */
  public SecurityPolicies withSettings(SecuritySettings s) {
    return new SecurityPolicies(authorizationPolicies, requestAuthentications, s);
  }
}
