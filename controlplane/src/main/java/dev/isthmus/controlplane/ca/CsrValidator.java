package dev.isthmus.controlplane.ca;

import io.grpc.Status;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * {@code CsrValidator} turns the PEM CSR of an {@code IstioCertificateRequest} into a key and an
 * identity, or refuses it with {@code INVALID_ARGUMENT} and a message saying what is wrong: not
 * PEM, a bad self-signature, an unsupported key, or anything but exactly one URI SAN.
 */
public final class CsrValidator {
  /** Larger CSRs are refused before parsing; a CSR with an RSA-4096 key is about 1.7 KiB. */
  public static final int MAX_CSR_CHARS = 16 * 1024;

  private CsrValidator() {}

  /**
   * A validated request.
   *
   * @param publicKey the key to certify
   * @param uri the single URI SAN the CSR asks for
   */
  public record ValidCsr(PublicKey publicKey, String uri) {}

  /** Parses and checks {@code pem}. */
  public static ValidCsr validate(String pem) throws CaException {
    if (pem == null || pem.isBlank()) {
      throw invalid("csr: empty, expected a PEM CERTIFICATE REQUEST");
    }
    if (pem.length() > MAX_CSR_CHARS) {
      throw invalid("csr: " + pem.length() + " characters exceeds the limit of " + MAX_CSR_CHARS);
    }
    PKCS10CertificationRequest csr;
    try {
      csr = Pem.csr(pem);
    } catch (IllegalArgumentException e) {
      throw invalid("csr: " + e.getMessage());
    }
    PublicKey key;
    try {
      key = new JcaPKCS10CertificationRequest(csr).getPublicKey();
    } catch (Exception e) {
      throw invalid("csr: cannot read the public key: " + e.getMessage());
    }
    // Before the signature check: only the key sizes and curves accepted here reach the provider.
    checkKey(key);
    try {
      if (!signatureValid(csr, key)) {
        throw invalid("csr: signature does not verify with the CSR's public key");
      }
    } catch (CaException e) {
      throw e;
    } catch (Exception e) {
      throw invalid("csr: cannot verify signature: " + e.getMessage());
    }
    return new ValidCsr(key, singleUri(csr));
  }

  /**
   * Verifies the CSR's self-signature. Common algorithms go straight to a {@link Signature} of the
   * CA's provider ({@link Signatures#get()}), which measured faster here than BouncyCastle's
   * verifier wrapper for ECDSA; others (RSASSA-PSS) use the wrapper with the JDK's providers.
   */
  private static boolean signatureValid(PKCS10CertificationRequest csr, PublicKey key)
      throws Exception {
    AlgorithmIdentifier alg = csr.getSignatureAlgorithm();
    String name = JDK_SIGNATURES.get(alg.getAlgorithm().getId());
    if (name == null) {
      return csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    }
    Signature verifier = Signatures.get().signature(name);
    verifier.initVerify(key);
    verifier.update(
        csr.toASN1Structure().getCertificationRequestInfo().getEncoded(ASN1Encoding.DER));
    return verifier.verify(csr.getSignature());
  }

  private static final Map<String, String> JDK_SIGNATURES =
      Map.of(
          "1.2.840.10045.4.3.2", "SHA256withECDSA",
          "1.2.840.10045.4.3.3", "SHA384withECDSA",
          "1.2.840.10045.4.3.4", "SHA512withECDSA",
          "1.2.840.113549.1.1.11", "SHA256withRSA",
          "1.2.840.113549.1.1.12", "SHA384withRSA",
          "1.2.840.113549.1.1.13", "SHA512withRSA");

  private static void checkKey(PublicKey key) throws CaException {
    if (key instanceof RSAPublicKey rsa) {
      int bits = rsa.getModulus().bitLength();
      if (bits != 2048 && bits != 3072 && bits != 4096) {
        throw invalid("csr: RSA key of " + bits + " bits, expected 2048, 3072 or 4096");
      }
      return;
    }
    if (key instanceof ECPublicKey ec) {
      if (!isNistByOrder(ec)) {
        throw invalid("csr: EC key on an unsupported curve, expected P-256 or P-384");
      }
      return;
    }
    throw invalid(
        "csr: unsupported key algorithm " + key.getAlgorithm() + ", expected RSA or ECDSA");
  }

  private static boolean isNistByOrder(ECPublicKey ec) {
    String order = ec.getParams().getOrder().toString(16);
    return order.equals("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
        || order.equals(
            "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973");
  }

  private static String singleUri(PKCS10CertificationRequest csr) throws CaException {
    List<GeneralName> names;
    try {
      names = subjectAltNames(csr);
    } catch (RuntimeException e) {
      // BouncyCastle's getInstance methods throw IllegalArgumentException (and on some shapes
      // other runtime exceptions) for ASN.1 of the wrong structure; the signature held, so this is
      // the caller's malformed request, not our failure.
      throw invalid("csr: malformed extensionRequest attribute: " + e.getMessage());
    }
    if (names.isEmpty()) {
      throw invalid("csr: no subjectAltName, expected one URI SAN with the caller's SPIFFE ID");
    }
    if (names.size() > 1) {
      throw invalid("csr: " + names.size() + " subjectAltNames, expected exactly one URI SAN");
    }
    GeneralName name = names.get(0);
    if (name.getTagNo() != GeneralName.uniformResourceIdentifier) {
      throw invalid("csr: subjectAltName is not a URI, expected the caller's SPIFFE ID");
    }
    return name.getName().toString();
  }

  private static List<GeneralName> subjectAltNames(PKCS10CertificationRequest csr) {
    List<GeneralName> names = new ArrayList<>();
    for (Attribute attr : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (var value : attr.getAttrValues()) {
        Extensions ext = Extensions.getInstance(value);
        GeneralNames sans = GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
        if (sans != null) {
          names.addAll(List.of(sans.getNames()));
        }
      }
    }
    return names;
  }

  private static CaException invalid(String message) {
    return new CaException(Status.Code.INVALID_ARGUMENT, message);
  }
}
