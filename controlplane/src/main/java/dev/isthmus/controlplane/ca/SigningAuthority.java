package dev.isthmus.controlplane.ca;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code SigningAuthority} is the key and certificates the CA signs with at one point in time.
 *
 * @param key the signing private key
 * @param chain the signing certificate first, then its issuers up to and including the root
 * @param roots the trust anchors distributed to workloads (the first is the chain's root)
 * @param source where the material came from
 */
public record SigningAuthority(
    PrivateKey key, List<X509Certificate> chain, List<X509Certificate> roots, Source source) {

  /** Where the signing material comes from, in Istio's precedence order. */
  public enum Source {
    /** The plugged-in CA from Secret {@code cacerts}. */
    PLUGGED_IN,
    /** The self-signed root kept in Secret {@code istio-ca-secret}. */
    SELF_SIGNED
  }

  /** Copies the lists. */
  public SigningAuthority {
    chain = List.copyOf(chain);
    roots = List.copyOf(roots);
    if (chain.isEmpty() || roots.isEmpty()) {
      throw new IllegalArgumentException("a signing authority needs a certificate and a root");
    }
  }

  /** The certificate whose key signs workload certificates. */
  public X509Certificate signingCert() {
    return chain.get(0);
  }

  /** The root the chain ends with. */
  public X509Certificate root() {
    return chain.get(chain.size() - 1);
  }

  /** The roots as PEM, the content of {@code root-cert.pem}. */
  public String rootsPem() {
    return Pem.encode(roots);
  }

  /** When the earliest certificate of the chain expires. */
  public Instant chainExpiry() {
    return chain.stream()
        .map(c -> c.getNotAfter().toInstant())
        .min(Instant::compareTo)
        .orElseThrow();
  }

  /** {@code leaf} followed by this chain: the order Istio's agent expects, root last. */
  public List<X509Certificate> chainFor(X509Certificate leaf) {
    List<X509Certificate> out = new ArrayList<>(chain.size() + 1);
    out.add(leaf);
    out.addAll(chain);
    return out;
  }
}
