package dev.isthmus.controlplane.ca;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * {@code Pem} reads and writes the PEM encodings the CA exchanges with Kubernetes Secrets and with
 * Istio's agent: certificates, private keys (PKCS#1, SEC1 and PKCS#8) and PKCS#10 requests.
 *
 * <p>Every reader throws {@link IllegalArgumentException} with a message naming what was expected
 * when the text is not a well-formed PEM object of that kind.
 */
public final class Pem {
  private static final JcaX509CertificateConverter CERTS = new JcaX509CertificateConverter();
  private static final JcaPEMKeyConverter KEYS = new JcaPEMKeyConverter();

  private Pem() {}

  /** Every certificate in {@code pem}, in order; at least one. */
  public static List<X509Certificate> certificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    for (Object o : objects(pem)) {
      if (!(o instanceof X509CertificateHolder holder)) {
        throw new IllegalArgumentException(
            "expected CERTIFICATE blocks, found " + o.getClass().getSimpleName());
      }
      try {
        out.add(CERTS.getCertificate(holder));
      } catch (CertificateException e) {
        throw new IllegalArgumentException("malformed certificate: " + e.getMessage(), e);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no PEM CERTIFICATE block found");
    }
    return out;
  }

  /** The single certificate in {@code pem}. */
  public static X509Certificate certificate(String pem) {
    List<X509Certificate> certs = certificates(pem);
    if (certs.size() != 1) {
      throw new IllegalArgumentException("expected one certificate, found " + certs.size());
    }
    return certs.get(0);
  }

  /** The private key in {@code pem} (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY). */
  public static PrivateKey privateKey(String pem) {
    List<Object> objects = objects(pem);
    if (objects.size() != 1) {
      throw new IllegalArgumentException("expected one private key block, found " + objects.size());
    }
    try {
      Object o = objects.get(0);
      if (o instanceof PEMKeyPair pair) {
        // SEC1 keys may omit the public key, so convert only the private part.
        return KEYS.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return KEYS.getPrivateKey(info);
      }
      throw new IllegalArgumentException(
          "expected a private key, found " + o.getClass().getSimpleName());
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed private key: " + e.getMessage(), e);
    }
  }

  /** The PKCS#10 certificate signing request in {@code pem}. */
  public static PKCS10CertificationRequest csr(String pem) {
    List<Object> objects = objects(pem);
    if (objects.size() != 1 || !(objects.get(0) instanceof PKCS10CertificationRequest csr)) {
      throw new IllegalArgumentException("expected exactly one PEM CERTIFICATE REQUEST block");
    }
    return csr;
  }

  /** {@code cert} as a PEM CERTIFICATE block. */
  public static String encode(X509Certificate cert) {
    StringBuilder out = new StringBuilder(2048);
    certificate(cert, out);
    return out.toString();
  }

  /** {@code certs} as concatenated PEM CERTIFICATE blocks. */
  public static String encode(Collection<X509Certificate> certs) {
    StringBuilder out = new StringBuilder(2048 * certs.size());
    for (X509Certificate c : certs) {
      certificate(c, out);
    }
    return out.toString();
  }

  /**
   * Appends {@code cert} as PEM, as BouncyCastle's PEM writer writes it (64 columns, {@code \n}):
   * by hand, because the writer's buffers cost more than the encoding on every issued certificate.
   */
  private static void certificate(X509Certificate cert, StringBuilder out) {
    byte[] der;
    try {
      der = cert.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalArgumentException("cannot encode certificate: " + e.getMessage(), e);
    }
    out.append("-----BEGIN CERTIFICATE-----\n")
        .append(MIME.encodeToString(der))
        .append("\n-----END CERTIFICATE-----\n");
  }

  private static final java.util.Base64.Encoder MIME =
      java.util.Base64.getMimeEncoder(64, new byte[] {'\n'});

  /**
   * {@code keys}' private key in the traditional encoding Istio writes ({@code RSA PRIVATE KEY} or
   * {@code EC PRIVATE KEY}).
   */
  public static String encode(KeyPair keys) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
      if (keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
        // SEC1 with the curve and the public key, as Go writes it; PKCS#8's inner structure
        // alone would lose the curve.
        var sec1 =
            new org.bouncycastle.asn1.sec.ECPrivateKey(
                ec.getParams().getOrder().bitLength(),
                ec.getS(),
                SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData(),
                info.getPrivateKeyAlgorithm().getParameters());
        return write(List.of(new PemObject("EC PRIVATE KEY", sec1.getEncoded())));
      }
      if ("RSA".equals(keys.getPrivate().getAlgorithm())) {
        return write(
            List.of(
                new PemObject(
                    "RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded())));
      }
      return encodePkcs8(keys.getPrivate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code key} as a PKCS#8 {@code PRIVATE KEY} block. */
  public static String encodePkcs8(PrivateKey key) {
    try {
      return write(List.of(new JcaPKCS8Generator(key, null).generate()));
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code csr} as a PEM CERTIFICATE REQUEST block. */
  public static String encode(PKCS10CertificationRequest csr) {
    return write(List.of(csr));
  }

  private static String write(Collection<?> objects) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        if (o instanceof PemObject pem) {
          writer.writeObject(pem);
        } else {
          writer.writeObject(o);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static List<Object> objects(String pem) {
    if (pem == null || pem.isBlank()) {
      throw new IllegalArgumentException("empty PEM");
    }
    List<Object> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        out.add(o);
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("malformed PEM: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no PEM block found");
    }
    return out;
  }
}
