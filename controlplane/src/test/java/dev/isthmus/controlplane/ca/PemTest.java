package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;

class PemTest {
  @Test
  void certificatesAreWrittenAsBouncyCastlesPemWriterWritesThemAndReadBack() throws Exception {
    SigningAuthority ca = CaFixtures.selfSigned(KeyType.RSA_2048);
    X509Certificate leaf =
        CertIssuer.workload(
            ca,
            KeyType.ECDSA_P256.generate().getPublic(),
            "spiffe://cluster.local/ns/a/sa/b",
            java.time.Duration.ofHours(1));
    StringWriter expected = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(expected)) {
      w.writeObject(leaf);
      w.writeObject(ca.root());
    }
    assertThat(Pem.encode(List.of(leaf, ca.root()))).isEqualTo(expected.toString());
    assertThat(Pem.encode(leaf) + Pem.encode(ca.root())).isEqualTo(expected.toString());
    assertThat(Pem.certificates(Pem.encode(List.of(leaf, ca.root()))))
        .containsExactly(leaf, ca.root());
  }
}
