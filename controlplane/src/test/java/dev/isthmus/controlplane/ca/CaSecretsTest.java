package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CaSecretsTest {
  private static final String WHERE = "istio-system/cacerts";

  @Test
  void pluggedInChainRunsFromCaCertToRoot() throws Exception {
    SigningAuthority root = CaFixtures.selfSigned(KeyType.RSA_2048);
    KeyPair keys = KeyType.ECDSA_P256.generate();
    X509Certificate inter = CaFixtures.intermediate(root, keys, "plugged");
    SigningAuthority ca =
        CaSecrets.pluggedIn(
            Map.of(
                "ca-cert.pem", Pem.encode(inter),
                "ca-key.pem", Pem.encode(keys),
                "root-cert.pem", Pem.encode(root.root()),
                "cert-chain.pem", Pem.encode(List.of(inter, root.root()))),
            WHERE);
    assertThat(ca.chain()).containsExactly(inter, root.root());
    assertThat(ca.roots()).containsExactly(root.root());
    assertThat(ca.source()).isEqualTo(SigningAuthority.Source.PLUGGED_IN);

    SigningAuthority withoutChain =
        CaSecrets.pluggedIn(
            Map.of(
                "ca-cert.pem", Pem.encode(inter),
                "ca-key.pem", Pem.encodePkcs8(keys.getPrivate()),
                "root-cert.pem", Pem.encode(root.root())),
            WHERE);
    assertThat(withoutChain.chain()).containsExactly(inter, root.root());
  }

  @Test
  void pluggedInErrorsNameSecretAndKey() throws Exception {
    SigningAuthority root = CaFixtures.selfSigned(KeyType.RSA_2048);
    KeyPair keys = KeyType.ECDSA_P256.generate();
    X509Certificate inter = CaFixtures.intermediate(root, keys, "plugged");
    SigningAuthority stranger = CaFixtures.selfSigned(KeyType.RSA_2048);

    assertThatThrownBy(
            () ->
                CaSecrets.pluggedIn(
                    Map.of("ca-cert.pem", Pem.encode(inter), "root-cert.pem", "x"), WHERE))
        .hasMessage("istio-system/cacerts.ca-key.pem: missing");
    assertThatThrownBy(
            () ->
                CaSecrets.pluggedIn(
                    Map.of(
                        "ca-cert.pem", Pem.encode(inter),
                        "ca-key.pem", Pem.encode(KeyType.ECDSA_P256.generate()),
                        "root-cert.pem", Pem.encode(root.root())),
                    WHERE))
        .hasMessage(
            "istio-system/cacerts.ca-key.pem: does not match the public key of ca-cert.pem");
    assertThatThrownBy(
            () ->
                CaSecrets.pluggedIn(
                    Map.of(
                        "ca-cert.pem", Pem.encode(inter),
                        "ca-key.pem", Pem.encode(keys),
                        "root-cert.pem", Pem.encode(stranger.root())),
                    WHERE))
        .hasMessageStartingWith(
            "istio-system/cacerts.ca-cert.pem: does not verify to root-cert.pem");
    assertThatThrownBy(
            () ->
                CaSecrets.pluggedIn(
                    Map.of(
                        "ca-cert.pem",
                            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                        "ca-key.pem", Pem.encode(keys),
                        "root-cert.pem", Pem.encode(root.root())),
                    WHERE))
        .hasMessageStartingWith("istio-system/cacerts.ca-cert.pem: ");
  }

  @Test
  void selfSignedSecretRoundTrips() throws Exception {
    KeyPair keys = KeyType.RSA_2048.generate();
    X509Certificate root =
        CertIssuer.selfSignedRoot(keys, "cluster.local", java.time.Duration.ofDays(1));
    SigningAuthority ca =
        CaSecrets.selfSigned(
            Map.of("ca-cert.pem", Pem.encode(root), "ca-key.pem", Pem.encode(keys)),
            "istio-system/istio-ca-secret");
    assertThat(ca.root()).isEqualTo(root);
    assertThat(ca.key()).isEqualTo(keys.getPrivate());
    assertThat(Pem.encode(keys)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
  }
}
