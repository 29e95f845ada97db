package dev.isthmus.controlplane.webhooks;

import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/**
 * {@code ServingTls} supplies the key and certificate chain the webhook server presents. It is
 * asked on every TLS handshake, so an implementation that returns a new key manager after the
 * serving certificate rotates takes effect without a restart. The control plane's CA implements it;
 * tests use {@link #fixed}.
 */
@FunctionalInterface
public interface ServingTls {

  /** The key manager holding the current serving key and chain (leaf first). */
  X509KeyManager keyManager();

  /** A source that always serves {@code key} with {@code chain}. */
  static ServingTls fixed(PrivateKey key, X509Certificate... chain) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("serving", key, new char[0], chain);
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      X509KeyManager km = (X509KeyManager) kmf.getKeyManagers()[0];
      return () -> km;
    } catch (Exception e) {
      throw new IllegalArgumentException("serving key/certificate: " + e.getMessage(), e);
    }
  }
}
