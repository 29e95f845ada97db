package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.operator.ContentSigner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SignaturesTest {
  private static final String ID = "spiffe://cluster.local/ns/default/sa/sleep";
  private static final byte[] DATA = "to be signed".getBytes(StandardCharsets.UTF_8);

  /** The platforms Conscrypt ships a native library for, with glibc; CI runs on the first. */
  private static boolean nativePlatform() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  private static Signatures boringSsl() {
    if (!nativePlatform()) {
      org.junit.jupiter.api.Assumptions.abort("no native Conscrypt library for this platform");
    }
    return Signatures.boringSsl()
        .orElseThrow(() -> new AssertionError("Conscrypt's native library did not load"));
  }

  @Test
  void theDefaultIsBoringSslWhereItLoads() {
    Signatures chosen = Signatures.choose("auto");
    assertThat(chosen.isNative()).isEqualTo(Signatures.boringSsl().isPresent());
    if (nativePlatform()) {
      assertThat(chosen.name()).startsWith("BoringSSL");
    }
  }

  @Test
  void settingChoosesTheJdkOrRefusesAnUnknownValue() {
    assertThat(Signatures.choose("jdk").isNative()).isFalse();
    assertThat(Signatures.choose(" JDK ").name()).isEqualTo("JDK");
    assertThatThrownBy(() -> Signatures.choose("openssl"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("isthmus.ca.signatures: expected auto, native or jdk, got 'openssl'");
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void nativeSignaturesVerifyWithTheJdk(KeyType type) throws Exception {
    Signatures boring = boringSsl();
    KeyPair keys = type.generate();
    String alg = KeyType.signatureAlgorithm(keys.getPublic());

    Signature signer = boring.signature(alg);
    signer.initSign(boring.translate(keys.getPrivate()));
    signer.update(DATA);
    byte[] signature = signer.sign();

    Signature jdk = Signature.getInstance(alg);
    assertThat(jdk.getProvider().getName()).isIn("SunRsaSign", "SunEC");
    jdk.initVerify(keys.getPublic());
    jdk.update(DATA);
    assertThat(jdk.verify(signature)).isTrue();

    if (type == KeyType.RSA_2048) {
      // PKCS #1 v1.5 is deterministic: the same bytes as the JDK's own signature
      Signature jdkSigner = Signature.getInstance(alg);
      jdkSigner.initSign(keys.getPrivate());
      jdkSigner.update(DATA);
      assertThat(signature).isEqualTo(jdkSigner.sign());
    }
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void jdkSignaturesVerifyWithBoringSsl(KeyType type) throws Exception {
    Signatures boring = boringSsl();
    KeyPair keys = type.generate();
    String alg = KeyType.signatureAlgorithm(keys.getPublic());
    Signature jdk = Signature.getInstance(alg);
    jdk.initSign(keys.getPrivate());
    jdk.update(DATA);
    byte[] signature = jdk.sign();

    Signature verifier = boring.signature(alg);
    verifier.initVerify(keys.getPublic());
    verifier.update(DATA);
    assertThat(verifier.verify(signature)).isTrue();
    verifier.initVerify(keys.getPublic());
    verifier.update("something else".getBytes(StandardCharsets.UTF_8));
    assertThat(verifier.verify(signature)).isFalse();
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void contentSignerOfEitherProviderMakesCertificatesTheJdkVerifies(KeyType type) throws Exception {
    SigningAuthority ca = CaFixtures.selfSigned(type);
    KeyPair leafKeys = CaFixtures.ec("secp256r1");
    // whichever provider the process chose, and explicitly each of the two
    X509Certificate leaf = CertIssuer.workload(ca, leafKeys.getPublic(), ID, Duration.ofHours(1));
    leaf.verify(ca.root().getPublicKey());
    CaFixtures.verifyPkix(List.of(leaf, ca.root()), ca.root());

    String alg = KeyType.signatureAlgorithm(ca.root().getPublicKey());
    for (Signatures s : new Signatures[] {Signatures.jdk(), boringSsl()}) {
      ContentSigner signer = s.contentSigner(alg, ca.key());
      try (OutputStream out = signer.getOutputStream()) {
        out.write(DATA);
      }
      Signature jdk = Signature.getInstance(alg);
      jdk.initVerify(ca.root().getPublicKey());
      jdk.update(DATA);
      assertThat(jdk.verify(signer.getSignature())).as(s.name()).isTrue();
    }
  }

  @Test
  void aKeyIsTranslatedOnceAndANewKeyAgain() throws Exception {
    Signatures boring = boringSsl();
    KeyPair first = KeyType.ECDSA_P256.generate();
    KeyPair second = KeyType.ECDSA_P256.generate();
    var translated = boring.translate(first.getPrivate());
    assertThat(translated).isNotSameAs(first.getPrivate());
    assertThat(boring.translate(first.getPrivate())).isSameAs(translated);
    assertThat(boring.translate(second.getPrivate())).isNotSameAs(translated);
    assertThat(Signatures.jdk().translate(first.getPrivate())).isSameAs(first.getPrivate());
  }
}
