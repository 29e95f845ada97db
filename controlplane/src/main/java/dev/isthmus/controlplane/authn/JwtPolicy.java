package dev.isthmus.controlplane.authn;

import io.fabric8.istio.api.api.security.v1beta1.RequestAuthentication;
import java.util.Objects;

/**
 * {@code JwtPolicy} is one RequestAuthentication that applies to a workload: where it came from and
 * its spec. The caller has already matched the selector or target references; {@link
 * JwtFilterBuilder} only reads the JWT rules.
 *
 * @param namespace the namespace of the RequestAuthentication
 * @param name the name of the RequestAuthentication
 * @param spec its spec; {@code null} is treated as a spec without rules
 */
public record JwtPolicy(String namespace, String name, RequestAuthentication spec) {
  /** {@code JwtPolicy} requires a namespace and a name; they order rules that share an issuer. */
  public JwtPolicy {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }
}
