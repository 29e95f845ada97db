package dev.isthmus.controlplane.ca;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Keys, CSRs and CA hierarchies for CA tests, built with BouncyCastle. */
final class CaFixtures {
  private CaFixtures() {}

  static KeyPair rsa(int bits) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(bits);
    return g.generateKeyPair();
  }

  static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  static String uri(String identity) {
    return identity;
  }

  /** A PEM CSR for {@code keys} with {@code names} as SANs (none if empty). */
  static String csr(KeyPair keys, GeneralName... names) throws Exception {
    return Pem.encode(csrObject(keys, names));
  }

  static PKCS10CertificationRequest csrObject(KeyPair keys, GeneralName... names) throws Exception {
    JcaPKCS10CertificationRequestBuilder b =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("O=test"), keys.getPublic());
    if (names.length > 0) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    String alg =
        "RSA".equals(keys.getPublic().getAlgorithm())
                || "EC".equals(keys.getPublic().getAlgorithm())
            ? KeyType.signatureAlgorithm(keys.getPublic())
            : "Ed25519";
    return b.build(new JcaContentSignerBuilder(alg).build(keys.getPrivate()));
  }

  static String spiffeCsr(KeyPair keys, String identity) throws Exception {
    return csr(keys, new GeneralName(GeneralName.uniformResourceIdentifier, identity));
  }

  /** A fresh self-signed authority of {@code type}. */
  static SigningAuthority selfSigned(KeyType type) {
    KeyPair keys = type.generate();
    X509Certificate root = CertIssuer.selfSignedRoot(keys, "cluster.local", Duration.ofDays(3650));
    return new SigningAuthority(
        keys.getPrivate(), List.of(root), List.of(root), SigningAuthority.Source.SELF_SIGNED);
  }

  /** An intermediate CA certificate for {@code keys}, named {@code cn}, signed by {@code root}. */
  static X509Certificate intermediate(SigningAuthority root, KeyPair keys, String cn)
      throws Exception {
    Instant now = Instant.now();
    X509Certificate issuer = root.signingCert();
    var b =
        new JcaX509v3CertificateBuilder(
                X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(365))),
                new X500Name("O=cluster.local,CN=" + cn),
                keys.getPublic())
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
            .addExtension(
                Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(
                new JcaContentSignerBuilder(KeyType.signatureAlgorithm(issuer.getPublicKey()))
                    .build(root.key())));
  }

  /** Validates {@code chain} (leaf first, root last) with the JDK's PKIX validator. */
  static void verifyPkix(List<X509Certificate> chain, X509Certificate root) throws Exception {
    CaSecrets.validatePkix(chain, List.of(root));
  }

  /**
   * A CA plugged in through the {@code cacerts} Secret: an ECDSA intermediate {@code inter} (key
   * {@code interKeys}) under its own RSA {@code root}.
   */
  record PluggedIn(SigningAuthority root, KeyPair interKeys, X509Certificate inter) {
    static PluggedIn create() throws Exception {
      SigningAuthority root = selfSigned(KeyType.RSA_2048);
      KeyPair interKeys = KeyType.ECDSA_P256.generate();
      return new PluggedIn(root, interKeys, intermediate(root, interKeys, "plugged-in"));
    }

    /** The {@code cacerts} entries: certificate, key, root and chain. */
    Map<String, String> cacerts() {
      return Map.of(
          "ca-cert.pem", Pem.encode(inter),
          "ca-key.pem", Pem.encode(interKeys),
          "root-cert.pem", Pem.encode(root.root()),
          "cert-chain.pem", Pem.encode(List.of(inter, root.root())));
    }
  }
}
