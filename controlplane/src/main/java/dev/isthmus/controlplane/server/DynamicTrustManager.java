package dev.isthmus.controlplane.server;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code DynamicTrustManager} verifies client certificates against roots read from a supplier at
 * every handshake; a new root list replaces the previous one without restarting the server.
 */
public final class DynamicTrustManager extends X509ExtendedTrustManager {
  private final Supplier<List<X509Certificate>> roots;
  private List<X509Certificate> cachedRoots;
  private X509ExtendedTrustManager cached;

  /**
   * @param roots current trusted roots
   */
  public DynamicTrustManager(Supplier<List<X509Certificate>> roots) {
    this.roots = roots;
  }

  private synchronized X509ExtendedTrustManager delegate() throws CertificateException {
    List<X509Certificate> now = roots.get();
    if (cached == null || !now.equals(cachedRoots)) {
      try {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        for (int i = 0; i < now.size(); i++) {
          ks.setCertificateEntry("root-" + i, now.get(i));
        }
        TrustManagerFactory f =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(ks);
        for (TrustManager tm : f.getTrustManagers()) {
          if (tm instanceof X509ExtendedTrustManager x) {
            cached = x;
            cachedRoots = List.copyOf(now);
            return cached;
          }
        }
        throw new CertificateException("no X509 trust manager available");
      } catch (GeneralSecurityException | java.io.IOException e) {
        throw new CertificateException("cannot load client certificate roots", e);
      }
    }
    return cached;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    delegate().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("server certificates are not verified here");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("server certificates are not verified here");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("server certificates are not verified here");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    try {
      return delegate().getAcceptedIssuers();
    } catch (CertificateException e) {
      return new X509Certificate[0];
    }
  }
}
