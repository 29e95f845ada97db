package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.security.KeyPair;
import java.util.Base64;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CsrValidatorTest {
  private static final String ID = "spiffe://cluster.local/ns/default/sa/sleep";

  @Test
  void acceptsRsaAndEcdsaCsrsWithOneSpiffeUri() throws Exception {
    for (KeyPair keys :
        new KeyPair[] {
          CaFixtures.rsa(2048),
          CaFixtures.rsa(4096),
          CaFixtures.ec("secp256r1"),
          CaFixtures.ec("secp384r1")
        }) {
      CsrValidator.ValidCsr csr = CsrValidator.validate(CaFixtures.spiffeCsr(keys, ID));
      assertThat(csr.uri()).isEqualTo(ID);
      assertThat(csr.publicKey()).isEqualTo(keys.getPublic());
    }
  }

  static Stream<Arguments> badCsrs() throws Exception {
    KeyPair ec = CaFixtures.ec("secp256r1");
    GeneralName uri = new GeneralName(GeneralName.uniformResourceIdentifier, ID);
    String good = CaFixtures.spiffeCsr(ec, ID);
    return Stream.of(
        bad("empty", "", "csr: empty"),
        bad("not PEM", "hello", "csr: no PEM block found"),
        bad(
            "a certificate instead of a CSR",
            Pem.encode(CaFixtures.selfSigned(KeyType.ECDSA_P256).root()),
            "expected exactly one PEM CERTIFICATE REQUEST block"),
        bad(
            "truncated base64",
            good.substring(0, good.length() / 2) + "\n-----END CERTIFICATE REQUEST-----\n",
            "csr: malformed PEM"),
        bad("signature does not verify", forgedSignature(good), "signature does not verify"),
        bad(
            "RSA 1024",
            CaFixtures.spiffeCsr(CaFixtures.rsa(1024), ID),
            "RSA key of 1024 bits, expected 2048, 3072 or 4096"),
        bad(
            "EC P-521",
            CaFixtures.spiffeCsr(CaFixtures.ec("secp521r1"), ID),
            "EC key on an unsupported curve"),
        bad(
            "Ed25519",
            CaFixtures.spiffeCsr(
                java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair(), ID),
            "unsupported key algorithm"),
        bad("no SAN", CaFixtures.csr(ec), "csr: no subjectAltName"),
        bad(
            "two SANs",
            CaFixtures.csr(
                ec,
                uri,
                new GeneralName(
                    GeneralName.uniformResourceIdentifier,
                    "spiffe://cluster.local/ns/default/sa/other")),
            "csr: 2 subjectAltNames, expected exactly one URI SAN"),
        bad(
            "a DNS SAN",
            CaFixtures.csr(ec, new GeneralName(GeneralName.dNSName, "sleep.default.svc")),
            "subjectAltName is not a URI"),
        bad(
            "oversized",
            good + "#".repeat(CsrValidator.MAX_CSR_CHARS),
            "exceeds the limit of 16384"));
  }

  private static Arguments bad(String name, String pem, String message) {
    return Arguments.of(Named.of(name, pem), message);
  }

  private static String forgedSignature(String pem) {
    byte[] der =
        Base64.getMimeDecoder()
            .decode(
                pem.replace("-----BEGIN CERTIFICATE REQUEST-----", "")
                    .replace("-----END CERTIFICATE REQUEST-----", "")
                    .trim());
    der[der.length - 5] ^= 0x5a; // inside the signature BIT STRING at the end
    return "-----BEGIN CERTIFICATE REQUEST-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCsrs")
  void refusesBadCsrsWithInvalidArgument(String pem, String message) {
    assertThatThrownBy(() -> CsrValidator.validate(pem))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining(message);
  }
}
