package dev.isthmus.controlplane.server;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code DynamicTrustManager} verifies client certificates against roots read from a supplier at
 * every handshake; a new root list replaces the previous one without restarting the server.
 */
public final class DynamicTrustManager extends ClientCertificateTrustManager {
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
        cached = trusting(now);
        cachedRoots = List.copyOf(now);
        return cached;
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
  public X509Certificate[] getAcceptedIssuers() {
    try {
      return delegate().getAcceptedIssuers();
    } catch (CertificateException e) {
      return new X509Certificate[0];
    }
  }
}
