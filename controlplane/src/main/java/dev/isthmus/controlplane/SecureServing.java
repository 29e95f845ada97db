package dev.isthmus.controlplane;

import io.grpc.BindableService;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * {@code SecureServing} plugs a certificate authority into the control plane: gRPC services to
 * serve next to xDS on the TLS port (Istio's {@code IstioCertificateService} on 15012), and the key
 * material that port presents. Without it the TLS port uses a self-signed certificate.
 */
public interface SecureServing {
  /** Extra services bound on the TLS xDS port. */
  default List<BindableService> services() {
    return List.of();
  }

  /**
   * Serving certificate of the TLS xDS port, read at every handshake so rotation needs no restart.
   */
  default Optional<ServingKeyMaterial> keyMaterial() {
    return Optional.empty();
  }

  /**
   * Roots client certificates on the TLS port must chain to. When non-empty at start, the port asks
   * for (without requiring) a client certificate, so the CA can see the certificate a workload
   * renews with; the list is read again at every handshake, so root rotation needs no restart.
   */
  default List<X509Certificate> clientCertificateRoots() {
    return List.of();
  }

  /**
   * How xDS clients on the TLS port are authenticated; empty leaves that port's xDS open, as
   * without a CA there is nothing to check a credential against.
   */
  default Optional<XdsAuthenticator> xdsAuthenticator() {
    return Optional.empty();
  }

  /** Finds the SPIFFE identity of an xDS caller from what its call presented. */
  @FunctionalInterface
  interface XdsAuthenticator {
    /**
     * @param authorization the {@code authorization} header, or null
     * @param peerChain the TLS client certificate chain, leaf first, or empty
     * @return the caller's SPIFFE identity
     * @throws io.grpc.StatusException {@code UNAUTHENTICATED} (or {@code UNAVAILABLE}) naming why
     */
    String authenticate(String authorization, List<X509Certificate> peerChain)
        throws io.grpc.StatusException;
  }

  /** Nothing plugged in. */
  static SecureServing none() {
    return new SecureServing() {};
  }
}
