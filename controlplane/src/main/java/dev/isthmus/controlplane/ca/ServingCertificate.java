package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.ServingKeyMaterial;
import dev.isthmus.controlplane.server.ClientCertificateTrustManager;
import dev.isthmus.controlplane.server.ServerKeyManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * {@code ServingCertificate} is the control plane's own TLS identity, issued by this CA with the
 * {@link CaConfig#servingNames() istiod DNS names} and renewed at half-life or when the signing
 * authority changes. {@link #keyManager()} always hands out the current key and chain; {@link
 * #trustManager()} accepts client certificates that chain to the current roots.
 */
public final class ServingCertificate implements ServingKeyMaterial {
  /** A key, its chain (leaf first, root last) and the alias TLS stacks cache it under. */
  record Current(PrivateKey key, X509Certificate[] chain, String alias, SigningAuthority issuer) {}

  private final CaConfig config;
  private final AtomicReference<Current> current = new AtomicReference<>();
  private final AtomicReference<X509TrustManager> trust = new AtomicReference<>();

  ServingCertificate(CaConfig config) {
    this.config = config;
  }

  /** Renews the certificate if there is none, {@code ca} changed, or it is past half-life. */
  synchronized boolean renewIfDue(SigningAuthority ca) {
    Current now = current.get();
    if (now == null || now.issuer() != ca || pastHalfLife(now.chain()[0])) {
      KeyPair keys = config.keyType().generate();
      X509Certificate leaf =
          CertIssuer.serving(ca, keys.getPublic(), config.servingNames(), config.servingTtl());
      X509Certificate[] chain = ca.chainFor(leaf).toArray(X509Certificate[]::new);
      // A new alias per certificate, so a TLS stack caching key material by alias picks it up.
      current.set(
          new Current(
              keys.getPrivate(), chain, "istiod-" + leaf.getSerialNumber().toString(16), ca));
      trust.set(trustManager(ca.roots()));
      return true;
    }
    return false;
  }

  private static boolean pastHalfLife(X509Certificate cert) {
    long from = cert.getNotBefore().getTime();
    long to = cert.getNotAfter().getTime();
    return Instant.now().toEpochMilli() > from + (to - from) / 2;
  }

  /** The current certificate chain, leaf first. */
  public List<X509Certificate> chain() {
    return List.of(require().chain());
  }

  /** The current chain, leaf first, root last; the same as {@link #chain()}. */
  @Override
  public List<X509Certificate> certificateChain() {
    return chain();
  }

  /** The current private key. */
  @Override
  public PrivateKey privateKey() {
    return require().key();
  }

  /** The current chain as PEM, leaf first. */
  public String chainPem() {
    return Pem.encode(chain());
  }

  /** The current private key as PKCS#8 PEM. */
  public String privateKeyPem() {
    return Pem.encodePkcs8(privateKey());
  }

  /** How long the current certificate remains valid. */
  public Duration remaining() {
    return Duration.between(Instant.now(), require().chain()[0].getNotAfter().toInstant());
  }

  private Current require() {
    Current c = current.get();
    if (c == null) {
      throw new IllegalStateException("the CA has not started");
    }
    return c;
  }

  /** A key manager that always presents the current serving key and chain. */
  public X509ExtendedKeyManager keyManager() {
    return new ServerKeyManager() {
      @Override
      public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine e) {
        return require().alias();
      }

      @Override
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return require().alias();
      }

      @Override
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {require().alias()};
      }

      @Override
      public X509Certificate[] getCertificateChain(String alias) {
        return require().chain().clone();
      }

      @Override
      public PrivateKey getPrivateKey(String alias) {
        return require().key();
      }
    };
  }

  /**
   * A trust manager for optional client authentication: it accepts client chains that verify to the
   * CA's current roots, following rotations and plugged-in CA changes.
   */
  public X509ExtendedTrustManager trustManager() {
    return new ClientCertificateTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        checkClientTrusted(chain, authType);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        checkClientTrusted(chain, authType);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        X509TrustManager t = trust.get();
        if (t == null) {
          throw new CertificateException("the CA has not started");
        }
        t.checkClientTrusted(chain, authType);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        X509TrustManager t = trust.get();
        return t == null ? new X509Certificate[0] : t.getAcceptedIssuers();
      }
    };
  }

  private static X509TrustManager trustManager(List<X509Certificate> roots) {
    try {
      return ClientCertificateTrustManager.trusting(roots);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build trust manager", e);
    }
  }
}
