package dev.isthmus.controlplane.ca;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * {@code CertIssuer} builds the CA's X.509 certificates with BouncyCastle: self-signed roots, roots
 * re-issued from the same key, and leaf certificates shaped like Istio's (empty subject, critical
 * SAN, digitalSignature + keyEncipherment, serverAuth + clientAuth, not a CA). The signature itself
 * is made by the provider {@link Signatures#get()} chooses.
 */
public final class CertIssuer {
  /** Leaf certificates start this long before issuance, to absorb clock skew between nodes. */
  static final Duration BACKDATE = Duration.ofMinutes(1);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final JcaX509CertificateConverter CONVERTER = new JcaX509CertificateConverter();

  private CertIssuer() {}

  /** A self-signed root for {@code keys}, subject {@code O=<org>}, valid {@code ttl} from now. */
  public static X509Certificate selfSignedRoot(KeyPair keys, String org, Duration ttl) {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, org).build();
    return root(subject, keys.getPublic(), keys.getPrivate(), ttl);
  }

  /**
   * {@code old} re-issued from the same key and subject with a fresh validity of {@code ttl}, so
   * certificates signed under the old root still verify against the new one.
   */
  public static X509Certificate reissueRoot(X509Certificate old, PrivateKey key, Duration ttl) {
    X500Name subject = X500Name.getInstance(old.getSubjectX500Principal().getEncoded());
    return root(subject, old.getPublicKey(), key, ttl);
  }

  private static X509Certificate root(
      X500Name subject, PublicKey publicKey, PrivateKey key, Duration ttl) {
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  subject,
                  serial(),
                  Date.from(now.minus(BACKDATE)),
                  Date.from(now.plus(ttl)),
                  subject,
                  publicKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey));
      return sign(b, key, publicKey);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build root certificate", e);
    }
  }

  /** A workload certificate for {@code subjectKey} with one URI SAN, signed by {@code ca}. */
  public static X509Certificate workload(
      SigningAuthority ca, PublicKey subjectKey, String uri, Duration ttl) {
    return leaf(
        ca,
        subjectKey,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)),
        ttl);
  }

  /**
   * A serving certificate for {@code subjectKey} with SANs {@code names}: an IPv4 or IPv6 literal
   * becomes an IP address SAN (clients that dial an address check those), anything else a DNS SAN.
   */
  public static X509Certificate serving(
      SigningAuthority ca, PublicKey subjectKey, List<String> names, Duration ttl) {
    GeneralName[] sans =
        names.stream()
            .map(
                n -> new GeneralName(ipLiteral(n) ? GeneralName.iPAddress : GeneralName.dNSName, n))
            .toArray(GeneralName[]::new);
    return leaf(ca, subjectKey, new GeneralNames(sans), ttl);
  }

  /** True for a dotted IPv4 address or an IPv6 address; never resolves a name. */
  static boolean ipLiteral(String s) {
    return org.bouncycastle.util.IPAddress.isValid(s);
  }

  private static X509Certificate leaf(
      SigningAuthority ca, PublicKey subjectKey, GeneralNames sans, Duration ttl) {
    Instant now = Instant.now();
    X509Certificate issuer = ca.signingCert();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
                  serial(),
                  Date.from(now.minus(BACKDATE)),
                  Date.from(now.plus(ttl)),
                  new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
                  subjectKey)
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              // Key identifier only: naming the issuer's serial would break chains to a root
              // re-issued from the same key.
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(issuer.getPublicKey()))
              // The subject is empty, so RFC 5280 4.2.1.6 requires the SAN to be critical.
              .addExtension(Extension.subjectAlternativeName, true, sans);
      return sign(b, ca.key(), issuer.getPublicKey());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot issue certificate", e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key, PublicKey pub)
      throws GeneralSecurityException {
    ContentSigner signer = Signatures.get().contentSigner(KeyType.signatureAlgorithm(pub), key);
    return CONVERTER.getCertificate(b.build(signer));
  }

  private static BigInteger serial() {
    // 127 random bits: positive, unique, within the 20-octet limit of RFC 5280.
    return new BigInteger(127, RANDOM).setBit(126);
  }
}
