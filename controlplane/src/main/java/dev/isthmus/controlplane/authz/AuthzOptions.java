package dev.isthmus.controlplane.authz;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code AuthzOptions} is the mesh-wide input to {@link AuthzBuilder}.
 *
 * @param trustDomain the mesh trust domain; null or empty leaves principals as written
 * @param trustDomainAliases other trust domains that principals are expanded to
 * @param extensionProviders the mesh's ext_authz providers, referenced by CUSTOM policies
 * @param services the service registry as hostname to the namespaces that define it, used to
 *     resolve a provider's {@code service}; null accepts every hostname without checking
 * @param useFilterState read the peer identity from filter state rather than the TLS connection, as
 *     a proxy does when identities arrive through a tunnel
 */
public record AuthzOptions(
    String trustDomain,
    List<String> trustDomainAliases,
    List<ExtensionProvider> extensionProviders,
    Map<String, Set<String>> services,
    boolean useFilterState) {

  public AuthzOptions {
    trustDomainAliases = trustDomainAliases == null ? List.of() : List.copyOf(trustDomainAliases);
    extensionProviders = extensionProviders == null ? List.of() : List.copyOf(extensionProviders);
  }

  /** {@code of} gives options with a trust domain, no aliases and no providers. */
  public static AuthzOptions of(String trustDomain) {
    return new AuthzOptions(trustDomain, List.of(), List.of(), null, false);
  }
}
