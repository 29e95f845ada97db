package dev.isthmus.controlplane.server;

import java.net.Socket;
import java.security.Principal;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@code ServerKeyManager} is a key manager that presents a key as a TLS server only: it has no
 * client alias, so it never authenticates an outgoing connection.
 */
public abstract class ServerKeyManager extends X509ExtendedKeyManager {
  @Override
  public final String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public final String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
