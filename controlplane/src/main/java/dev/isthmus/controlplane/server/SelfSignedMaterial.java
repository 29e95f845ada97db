package dev.isthmus.controlplane.server;

import dev.isthmus.controlplane.ServingKeyMaterial;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * {@code SelfSignedMaterial} is the TLS xDS port's certificate when no CA is plugged in: an ECDSA
 * P-256 key and a one-year self-signed certificate for {@code istiod.<ns>.svc} and its variants.
 */
public final class SelfSignedMaterial implements ServingKeyMaterial {
  private final PrivateKey key;
  private final X509Certificate cert;

  /** Generates the key and certificate for the control plane in {@code namespace}. */
  public SelfSignedMaterial(String namespace, String revision) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair kp = g.generateKeyPair();
      String svc = "default".equals(revision) ? "istiod" : "istiod-" + revision;
      X500Name name = new X500Name("O=Isthmus,CN=" + svc + "." + namespace + ".svc");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              new BigInteger(64, new SecureRandom()),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(Duration.ofDays(365))),
              name,
              kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.dNSName, svc),
                new GeneralName(GeneralName.dNSName, svc + "." + namespace),
                new GeneralName(GeneralName.dNSName, svc + "." + namespace + ".svc"),
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")
              }));
      cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
      key = kp.getPrivate();
    } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
      throw new IllegalStateException("cannot create self-signed serving certificate", e);
    }
  }

  @Override
  public PrivateKey privateKey() {
    return key;
  }

  @Override
  public List<X509Certificate> certificateChain() {
    return List.of(cert);
  }
}
