package dev.isthmus.controlplane.model;

import dev.isthmus.controlplane.authz.ExtensionProvider;
import java.util.List;
import java.util.Map;

/**
 * {@code SecuritySettings} is the mesh-wide input of policy translation that does not come from the
 * policies themselves: the trust domain and its aliases, the ext_authz providers of {@code
 * meshConfig.extensionProviders}, and the JSON Web Key Sets the control plane resolved, so that
 * generation stays a pure function of the snapshot.
 *
 * @param trustDomain the mesh trust domain
 * @param trustDomainAliases {@code meshConfig.trustDomainAliases}
 * @param extensionProviders the ext_authz providers of {@code meshConfig.extensionProviders}
 * @param keySets resolved key sets by {@link #keySetKey(String, String) issuer and jwksUri}
 */
public record SecuritySettings(
    String trustDomain,
    List<String> trustDomainAliases,
    List<ExtensionProvider> extensionProviders,
    Map<String, String> keySets) {

  /** Istio's default trust domain and nothing else. */
  public static final SecuritySettings DEFAULTS =
      new SecuritySettings("cluster.local", List.of(), List.of(), Map.of());

  public SecuritySettings {
    trustDomainAliases = List.copyOf(trustDomainAliases);
    extensionProviders = List.copyOf(extensionProviders);
    keySets = Map.copyOf(keySets);
  }

  /** The key of a resolved key set. */
  public static String keySetKey(String issuer, String jwksUri) {
    return (issuer == null ? "" : issuer) + "\n" + (jwksUri == null ? "" : jwksUri);
  }

  /** The same settings with other key sets. */
  public SecuritySettings withKeySets(Map<String, String> sets) {
    return new SecuritySettings(trustDomain, trustDomainAliases, extensionProviders, sets);
  }
}
