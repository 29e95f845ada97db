package dev.isthmus.controlplane.ca;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;

/** {@code KeyType} is the kind of key the CA generates for its root and its serving certificate. */
public enum KeyType {
  /** RSA, 2048-bit modulus, signing with SHA256withRSA (Istio's default). */
  RSA_2048("RSA", "SHA256withRSA"),
  /** ECDSA on NIST P-256, signing with SHA256withECDSA. */
  ECDSA_P256("EC", "SHA256withECDSA");

  private final String algorithm;
  private final String signatureAlgorithm;

  KeyType(String algorithm, String signatureAlgorithm) {
    this.algorithm = algorithm;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** A fresh key pair of this type. */
  public KeyPair generate() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance(algorithm);
      if (this == RSA_2048) {
        gen.initialize(2048);
      } else {
        gen.initialize(new ECGenParameterSpec("secp256r1"));
      }
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate " + this + " key", e);
    }
  }

  /** The JCA signature algorithm a certificate signed by a key of type {@code key} uses. */
  static String signatureAlgorithm(PublicKey key) {
    if (key instanceof RSAPublicKey) {
      return RSA_2048.signatureAlgorithm;
    }
    if (key instanceof ECPublicKey ec) {
      int bits = ec.getParams().getOrder().bitLength();
      return bits > 384 ? "SHA512withECDSA" : bits > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
    }
    throw new IllegalArgumentException("unsupported CA key algorithm " + key.getAlgorithm());
  }

  /** Parses {@code RSA}, {@code RSA_2048}, {@code ECDSA}, {@code EC} or {@code ECDSA_P256}. */
  public static KeyType parse(String value) {
    return switch (value.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_')) {
      case "RSA", "RSA_2048" -> RSA_2048;
      case "EC", "ECDSA", "ECDSA_P256", "P256" -> ECDSA_P256;
      default ->
          throw new IllegalArgumentException(
              "keyType: expected RSA_2048 or ECDSA_P256, got '" + value + "'");
    };
  }
}
