package dev.isthmus.controlplane.server;

import dev.isthmus.controlplane.ServingKeyMaterial;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@code DynamicKeyManager} presents whatever {@link ServingKeyMaterial} returns at handshake time
 * (as a server, or as a client when one is asked for), so a rotated serving certificate is used by
 * the next connection without restarting the server.
 */
public final class DynamicKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "serving";
  private final ServingKeyMaterial material;

  /**
   * @param material source of the current key and chain
   */
  public DynamicKeyManager(ServingKeyMaterial material) {
    this.material = material;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return matches(keyType) ? ALIAS : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return matches(keyType) ? ALIAS : null;
  }

  private boolean matches(String keyType) {
    String alg = material.privateKey().getAlgorithm();
    return keyType == null
        || keyType.equalsIgnoreCase(alg)
        || (keyType.startsWith("EC") && alg.startsWith("EC"));
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return material.certificateChain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return material.privateKey();
  }
}
