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

  /** Nothing plugged in. */
  static SecureServing none() {
    return new SecureServing() {};
  }
}
