package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;

class ServingCertificateTest {
  private final SigningAuthority ca = CaFixtures.selfSigned(KeyType.ECDSA_P256);

  @Test
  void keyManagerFollowsRenewal() throws Exception {
    // Shorter than the backdating, so the certificate is past half-life as soon as it exists.
    ServingCertificate serving =
        new ServingCertificate(
            CaConfig.defaults("istio-system").withServingTtl(Duration.ofSeconds(10)));
    X509ExtendedKeyManager km = serving.keyManager();
    assertThat(serving.renewIfDue(ca)).isTrue();
    String alias = km.chooseEngineServerAlias("EC", null, null);
    X509Certificate first = km.getCertificateChain(alias)[0];
    assertThat(first.getSubjectAlternativeNames()).contains(List.of(2, "istiod.istio-system.svc"));
    assertThat(km.getPrivateKey(alias)).isEqualTo(serving.privateKey());

    assertThat(serving.renewIfDue(ca)).isTrue();
    String next = km.chooseEngineServerAlias("EC", null, null);
    assertThat(next).isNotEqualTo(alias);
    assertThat(km.getCertificateChain(next)[0]).isNotEqualTo(first);
    CaFixtures.verifyPkix(List.of(km.getCertificateChain(next)), ca.root());
  }

  @Test
  void renewsOnlyWhenDueOrWhenTheAuthorityChanges() {
    ServingCertificate serving = new ServingCertificate(CaConfig.defaults("istio-system"));
    assertThat(serving.renewIfDue(ca)).isTrue();
    assertThat(serving.renewIfDue(ca)).isFalse();
    assertThat(serving.remaining()).isGreaterThan(Duration.ofHours(23));
    SigningAuthority other = CaFixtures.selfSigned(KeyType.RSA_2048);
    assertThat(serving.renewIfDue(other)).isTrue();
    assertThat(serving.chain().get(1)).isEqualTo(other.root());
  }

  @Test
  void trustManagerAcceptsOnlyClientsOfTheCurrentRoots() throws Exception {
    ServingCertificate serving = new ServingCertificate(CaConfig.defaults("istio-system"));
    serving.renewIfDue(ca);
    X509ExtendedTrustManager tm = serving.trustManager();
    String id = "spiffe://cluster.local/ns/default/sa/sleep";
    X509Certificate ours =
        CertIssuer.workload(ca, KeyType.ECDSA_P256.generate().getPublic(), id, Duration.ofHours(1));
    tm.checkClientTrusted(new X509Certificate[] {ours, ca.root()}, "ECDHE_ECDSA");
    assertThat(tm.getAcceptedIssuers()).containsExactly(ca.root());

    SigningAuthority stranger = CaFixtures.selfSigned(KeyType.ECDSA_P256);
    X509Certificate theirs =
        CertIssuer.workload(
            stranger, KeyType.ECDSA_P256.generate().getPublic(), id, Duration.ofHours(1));
    assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {theirs}, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
  }
}
