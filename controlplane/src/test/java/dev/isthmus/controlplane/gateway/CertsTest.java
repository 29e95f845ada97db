package dev.isthmus.controlplane.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CertsTest {
  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void acceptsAMatchingPairInEitherKeyEncoding() throws Exception {
    assertThat(Certs.keyPairProblem(bytes(TestMesh.CERT), bytes(TestMesh.KEY))).isNull();
    // The same kind of key, but not the certificate's, in PKCS#8.
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    String pkcs8 =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(g.generateKeyPair().getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    assertThat(Certs.keyPairProblem(bytes(TestMesh.CERT), bytes(pkcs8)))
        .isEqualTo("tls: private key does not match public key");
  }

  @Test
  void explainsWhatIsMissing() {
    assertThat(Certs.keyPairProblem(bytes("hello"), bytes(TestMesh.KEY)))
        .isEqualTo("tls: failed to find any PEM data in certificate input");
    assertThat(Certs.keyPairProblem(bytes(TestMesh.CERT), bytes("hello")))
        .isEqualTo("tls: failed to find any PEM data in key input");
    assertThatThrownBy(() -> Certs.certAndKey(Map.of("a", new byte[1], "b", new byte[1])))
        .hasMessage(
            "found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key);"
                + " found: a, b");
    assertThatThrownBy(() -> Certs.root(Map.of("ca.crt", new byte[0])))
        .hasMessage("found key \"ca.crt\", but it was empty");
    assertThat(Certs.validBundle(bytes(TestMesh.CERT))).isTrue();
    assertThat(Certs.validBundle(bytes("hello"))).isFalse();
  }
}
