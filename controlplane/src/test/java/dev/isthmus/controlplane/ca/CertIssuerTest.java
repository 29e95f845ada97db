package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CertIssuerTest {
  private static final String ID = "spiffe://cluster.local/ns/default/sa/sleep";

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void selfSignedRootIsACaOfTheRequestedKeyType(KeyType type) throws Exception {
    SigningAuthority ca = CaFixtures.selfSigned(type);
    X509Certificate root = ca.root();
    root.verify(root.getPublicKey());
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(root.getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("O=cluster.local");
    if (type == KeyType.RSA_2048) {
      assertThat(root.getPublicKey()).isInstanceOf(RSAPublicKey.class);
      assertThat(((RSAPublicKey) root.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
      assertThat(root.getSigAlgName()).isEqualToIgnoringCase("SHA256WITHRSA");
    } else {
      assertThat(root.getPublicKey()).isInstanceOf(ECPublicKey.class);
      assertThat(root.getSigAlgName()).isEqualToIgnoringCase("SHA256WITHECDSA");
    }
    Duration ttl = Duration.between(Instant.now(), root.getNotAfter().toInstant());
    assertThat(ttl).isBetween(Duration.ofDays(3649), Duration.ofDays(3650));
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void workloadCertificateLooksLikeIstios(KeyType type) throws Exception {
    SigningAuthority ca = CaFixtures.selfSigned(type);
    KeyPair leafKeys = CaFixtures.ec("secp256r1");
    X509Certificate leaf = CertIssuer.workload(ca, leafKeys.getPublic(), ID, Duration.ofHours(24));

    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, ID));
    assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17"); // SAN, empty subject
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    boolean[] usage = leaf.getKeyUsage();
    assertThat(usage[0]).as("digitalSignature").isTrue();
    assertThat(usage[2]).as("keyEncipherment").isTrue();
    assertThat(usage[5]).as("keyCertSign").isFalse();
    assertThat(leaf.getExtendedKeyUsage())
        .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(leaf.getPublicKey()).isEqualTo(leafKeys.getPublic());
    assertThat(leaf.getNotAfter().getTime() - leaf.getNotBefore().getTime())
        .isEqualTo(Duration.ofHours(24).plus(CertIssuer.BACKDATE).toMillis());

    List<X509Certificate> chain = ca.chainFor(leaf);
    assertThat(chain).containsExactly(leaf, ca.root());
    CaFixtures.verifyPkix(chain, ca.root());
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void reissuedRootKeepsKeyAndSubjectSoOldLeavesStillVerify(KeyType type) throws Exception {
    SigningAuthority old = CaFixtures.selfSigned(type);
    X509Certificate leaf =
        CertIssuer.workload(old, CaFixtures.rsa(2048).getPublic(), ID, Duration.ofHours(1));
    X509Certificate renewed = CertIssuer.reissueRoot(old.root(), old.key(), Duration.ofDays(20));

    assertThat(renewed.getSerialNumber()).isNotEqualTo(old.root().getSerialNumber());
    assertThat(renewed.getPublicKey()).isEqualTo(old.root().getPublicKey());
    assertThat(renewed.getSubjectX500Principal()).isEqualTo(old.root().getSubjectX500Principal());
    assertThat(renewed.getNotAfter()).isNotEqualTo(old.root().getNotAfter());
    CaFixtures.verifyPkix(List.of(leaf, renewed), renewed);
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void servingCertificateCarriesDnsNamesAndChainsThroughAnIntermediate(KeyType type)
      throws Exception {
    SigningAuthority root = CaFixtures.selfSigned(type);
    KeyPair interKeys = type.generate();
    X509Certificate inter = CaFixtures.intermediate(root, interKeys, "intermediate");
    SigningAuthority ca =
        new SigningAuthority(
            interKeys.getPrivate(),
            List.of(inter, root.root()),
            List.of(root.root()),
            SigningAuthority.Source.PLUGGED_IN);
    X509Certificate leaf =
        CertIssuer.serving(
            ca,
            type.generate().getPublic(),
            List.of("istiod.istio-system.svc", "istiod.istio-system.svc.cluster.local"),
            Duration.ofHours(2));
    assertThat(leaf.getSubjectAlternativeNames())
        .containsExactly(
            List.of(2, "istiod.istio-system.svc"),
            List.of(2, "istiod.istio-system.svc.cluster.local"));
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(inter.getSubjectX500Principal());
    CaFixtures.verifyPkix(ca.chainFor(leaf), root.root());
  }

  @Test
  void addressLiteralsBecomeIpSansAndEverythingElseDnsSans() throws Exception {
    SigningAuthority ca = CaFixtures.selfSigned(KeyType.ECDSA_P256);
    X509Certificate leaf =
        CertIssuer.serving(
            ca,
            KeyType.ECDSA_P256.generate().getPublic(),
            List.of("istiod.istio-system.svc", "localhost", "127.0.0.1", "::1", "1.2.3.4.nip.io"),
            Duration.ofHours(2));
    assertThat(leaf.getSubjectAlternativeNames())
        .containsExactly(
            List.of(2, "istiod.istio-system.svc"),
            List.of(2, "localhost"),
            List.of(7, "127.0.0.1"),
            List.of(7, "0:0:0:0:0:0:0:1"),
            List.of(2, "1.2.3.4.nip.io"));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
    "127.0.0.1, true",
    "10.0.0.255, true",
    "256.0.0.1, false",
    "1.2.3, false",
    "::1, true",
    "fd00::1, true",
    "istiod, false",
    "1.2.3.4.nip.io, false"
  })
  void ipLiterals(String s, boolean ip) {
    assertThat(CertIssuer.ipLiteral(s)).isEqualTo(ip);
  }
}
