package dev.isthmus.controlplane;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * {@code ServingKeyMaterial} supplies the current private key and certificate chain (leaf first) of
 * a TLS server. Implementations return the latest material on every call.
 */
public interface ServingKeyMaterial {
  /** The private key matching the leaf certificate. */
  PrivateKey privateKey();

  /** Leaf first, then intermediates; the root may be omitted. */
  List<X509Certificate> certificateChain();
}
