package dev.isthmus.controlplane.authn;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import java.time.Duration;

/**
 * {@code KeySets} supplies the key set of a JWT rule as the {@code local_jwks} data source of its
 * provider: the rule's inline {@code jwks} when it has one, otherwise the key set of its {@code
 * jwksUri} (or of its issuer's discovery document) as resolved by the control plane, or a key set
 * that fails every token when none could be resolved.
 */
@FunctionalInterface
public interface KeySets {
  /**
   * @param issuer the rule's issuer
   * @param jwksUri the rule's {@code jwksUri}, or null
   * @param inlineJwks the rule's inline {@code jwks}, or null
   * @param timeout how long a fetch may take
   */
  DataSource localJwks(String issuer, String jwksUri, String inlineJwks, Duration timeout);
}
