package dev.isthmus.controlplane.server;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code ClientCertificateTrustManager} is the trust manager of a TLS server that checks client
 * certificates only: a subclass says which client chains it trusts, and any server certificate is
 * refused, since the server never plays the client with it.
 */
public abstract class ClientCertificateTrustManager extends X509ExtendedTrustManager {
  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw notHere();
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw notHere();
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw notHere();
  }

  /** The JDK's trust manager for chains to {@code roots}. */
  public static X509ExtendedTrustManager trusting(List<X509Certificate> roots)
      throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    for (int i = 0; i < roots.size(); i++) {
      store.setCertificateEntry("root-" + i, roots.get(i));
    }
    TrustManagerFactory f =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    for (TrustManager t : f.getTrustManagers()) {
      if (t instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new KeyStoreException("no X509 trust manager available");
  }

  private static CertificateException notHere() {
    return new CertificateException("server certificates are not checked here");
  }
}
