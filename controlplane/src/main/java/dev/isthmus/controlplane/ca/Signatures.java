package dev.isthmus.controlplane.ca;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Locale;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.RuntimeOperatorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Signatures} is the one place the CA's signature operations (signing certificates,
 * verifying CSR self-signatures) get their JCA provider. BouncyCastle still builds and encodes
 * every certificate; only the private-key operation and the CSR check go to the provider.
 *
 * <p>The default is BoringSSL through Conscrypt when its native library loads on this machine
 * (Linux, macOS and Windows on x86-64, glibc): the JDK's own providers sign with RSA-2048 at about
 * a third of OpenSSL's rate and with ECDSA P-256 at a twentieth, and signing is most of what a
 * certificate request costs. Without the library (another platform, a musl libc, the jar left out)
 * the JDK's providers are used and the CA works the same, only slower. {@code
 * -Disthmus.ca.signatures=jdk} (or {@code ISTHMUS_CA_SIGNATURES=jdk}) forces the JDK; {@code
 * native} requires BoringSSL and fails at start without it.
 */
public final class Signatures {
  private static final Logger LOG = LoggerFactory.getLogger(Signatures.class);

  /**
   * The system property choosing the provider: {@code auto} (default), {@code native}, {@code jdk}.
   */
  public static final String PROPERTY = "isthmus.ca.signatures";

  private static final Signatures JDK = new Signatures(null);
  private static volatile Signatures current;

  /** null: the JDK's providers, in their preference order. */
  private final Provider provider;

  /** The last private key translated into the provider's own form, by identity. */
  private volatile Translated last;

  private record Translated(PrivateKey original, PrivateKey translated) {}

  private Signatures(Provider provider) {
    this.provider = provider;
  }

  /** The process-wide choice, made on first use from {@link #PROPERTY} and the platform. */
  public static Signatures get() {
    Signatures s = current;
    if (s == null) {
      synchronized (Signatures.class) {
        s = current;
        if (s == null) {
          String env = System.getenv("ISTHMUS_CA_SIGNATURES");
          s = choose(System.getProperty(PROPERTY, env == null ? "auto" : env));
          LOG.info("CA signatures: {}", s.name());
          current = s;
        }
      }
    }
    return s;
  }

  /** The JDK's own providers. */
  public static Signatures jdk() {
    return JDK;
  }

  /** BoringSSL through Conscrypt, or empty when its native library does not load here. */
  public static java.util.Optional<Signatures> boringSsl() {
    return java.util.Optional.ofNullable(BoringSsl.PROVIDER).map(Signatures::new);
  }

  static Signatures choose(String setting) {
    return switch (setting.trim().toLowerCase(Locale.ROOT)) {
      case "", "auto" -> boringSsl().orElse(JDK);
      case "jdk" -> JDK;
      case "native", "boringssl", "conscrypt" ->
          boringSsl()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          PROPERTY
                              + "="
                              + setting
                              + ": BoringSSL (Conscrypt) does not load on this machine: "
                              + BoringSsl.FAILURE));
      default ->
          throw new IllegalArgumentException(
              PROPERTY + ": expected auto, native or jdk, got '" + setting + "'");
    };
  }

  /** {@code BoringSSL (Conscrypt)} or {@code JDK}, for logs and benchmark tables. */
  public String name() {
    if (provider == null) {
      return "JDK";
    }
    org.conscrypt.Conscrypt.Version v = org.conscrypt.Conscrypt.version();
    return "BoringSSL (Conscrypt " + v.major() + "." + v.minor() + "." + v.patch() + ")";
  }

  /** True when signatures go to a native library. */
  public boolean isNative() {
    return provider != null;
  }

  /**
   * A BouncyCastle signer of {@code algorithm} (a JCA name such as SHA256withRSA) with {@code key}.
   * BouncyCastle's own JCA signer hands every DER write, often a single byte, to {@link
   * Signature#update}; for a native provider each of those crosses JNI, which costs several times
   * the signature, so this one collects the bytes and updates once.
   */
  public ContentSigner contentSigner(String algorithm, PrivateKey key)
      throws GeneralSecurityException {
    AlgorithmIdentifier id;
    try {
      id = ALGORITHMS.find(algorithm);
    } catch (IllegalArgumentException e) {
      throw new NoSuchAlgorithmException("unknown signature algorithm " + algorithm, e);
    }
    Signature signature = signature(algorithm);
    signature.initSign(translate(key));
    return new BufferedSigner(id, signature);
  }

  private static final DefaultSignatureAlgorithmIdentifierFinder ALGORITHMS =
      new DefaultSignatureAlgorithmIdentifierFinder();

  /** Signs what was written, in one {@link Signature#update}. */
  private static final class BufferedSigner implements ContentSigner {
    private final AlgorithmIdentifier id;
    private final Signature signature;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);

    BufferedSigner(AlgorithmIdentifier id, Signature signature) {
      this.id = id;
      this.signature = signature;
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
      return id;
    }

    @Override
    public OutputStream getOutputStream() {
      return bytes;
    }

    @Override
    public byte[] getSignature() {
      try {
        signature.update(bytes.toByteArray());
        return signature.sign();
      } catch (SignatureException e) {
        throw new RuntimeOperatorException("signing failed: " + e.getMessage(), e);
      } finally {
        bytes.reset();
      }
    }
  }

  /** An uninitialized {@link Signature} of {@code algorithm}, to sign or to verify. */
  public Signature signature(String algorithm) throws NoSuchAlgorithmException {
    return provider == null
        ? Signature.getInstance(algorithm)
        : Signature.getInstance(algorithm, provider);
  }

  /**
   * {@code key} in the provider's own form. Handing a JDK key to Conscrypt on every signature would
   * rebuild the native key each time, and with it BoringSSL's per-key precomputation (Montgomery
   * contexts, blinding), which costs as much as the signature itself; the CA signs with one key for
   * months, so the last one is kept.
   */
  PrivateKey translate(PrivateKey key) throws GeneralSecurityException {
    if (provider == null) {
      return key;
    }
    Translated t = last;
    if (t != null && t.original == key) {
      return t.translated;
    }
    byte[] pkcs8 = key.getEncoded();
    if (pkcs8 == null || !"PKCS#8".equals(key.getFormat())) {
      return key; // a key that does not export (a hardware token): let the provider try it as is
    }
    PrivateKey translated =
        KeyFactory.getInstance(key.getAlgorithm(), provider)
            .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    last = new Translated(key, translated);
    return translated;
  }

  /** Loads Conscrypt once; a missing jar or native library leaves {@link #PROVIDER} null. */
  private static final class BoringSsl {
    static final Provider PROVIDER;
    static final String FAILURE;

    static {
      Provider p = null;
      String failure = null;
      try {
        org.conscrypt.Conscrypt.checkAvailability(); // throws when the native library does not load
        p = org.conscrypt.Conscrypt.newProvider();
      } catch (LinkageError | RuntimeException e) {
        failure = e.toString();
      }
      PROVIDER = p;
      FAILURE = failure;
    }
  }
}
