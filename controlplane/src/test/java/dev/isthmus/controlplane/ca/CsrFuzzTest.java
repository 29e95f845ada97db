package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * The CSR in an {@code IstioCertificateRequest} is whatever the caller sends, so {@link
 * CsrValidator#validate} must end in a {@link CaException} ({@code INVALID_ARGUMENT}) or a valid
 * CSR for every text, never another exception. Inputs are real CSRs edited at the PEM, at the DER
 * level, and at the level of the signed request body re-signed with the CSR's own key (so the edit
 * gets past the signature check into the key and SAN checks).
 */
class CsrFuzzTest {
  private static final String ID = "spiffe://cluster.local/ns/default/sa/sleep";
  private static final KeyPair EC = key("secp256r1");
  private static final List<String> SEEDS = seeds();

  private static KeyPair key(String curve) {
    try {
      return CaFixtures.ec(curve);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> seeds() {
    try {
      return List.of(
          CaFixtures.spiffeCsr(EC, ID),
          CaFixtures.spiffeCsr(CaFixtures.rsa(2048), ID),
          CaFixtures.csr(
              EC,
              new GeneralName(GeneralName.uniformResourceIdentifier, ID),
              new GeneralName(GeneralName.dNSName, "a.example")));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An edit of a byte string: position (per mille), kind, operand. */
  record Edit(int where, int kind, int operand) {
    byte[] apply(byte[] b) {
      if (b.length == 0) {
        return new byte[] {(byte) operand};
      }
      int at = (int) ((long) where * (b.length - 1) / 1000);
      return switch (kind) {
        case 0 -> set(b, at, (byte) operand);
        case 1 -> set(b, at, (byte) (b[at] ^ (1 << (operand & 7))));
        case 2 -> set(b, at, (byte) (operand % 2 == 0 ? 0x80 : 0xff));
        case 3 -> Arrays.copyOf(b, at);
        case 4 -> concat(Arrays.copyOf(b, at), new byte[] {(byte) operand}, tail(b, at));
        default -> concat(Arrays.copyOf(b, at), tail(b, Math.min(b.length, at + 1 + operand % 8)));
      };
    }
  }

  private static byte[] set(byte[] b, int at, byte v) {
    byte[] c = b.clone();
    c[at] = v;
    return c;
  }

  private static byte[] tail(byte[] b, int from) {
    return Arrays.copyOfRange(b, from, b.length);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  @Provide
  Arbitrary<List<Edit>> edits() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 255))
        .as(Edit::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4);
  }

  @Property
  void editedDerFailsOnlyWithCaException(
      @ForAll("seed") int seed, @ForAll("edits") List<Edit> edits) {
    byte[] der = der(SEEDS.get(seed));
    for (Edit e : edits) {
      der = e.apply(der);
    }
    check(pem("CERTIFICATE REQUEST", der));
  }

  @Property
  void editedAndResignedRequestFailsOnlyWithCaException(@ForAll("edits") List<Edit> edits)
      throws Exception {
    byte[] info = requestInfo(SEEDS.get(0));
    for (Edit e : edits) {
      info = e.apply(info);
    }
    check(pem("CERTIFICATE REQUEST", signed(info)));
  }

  @Property
  void editedPemTextFailsOnlyWithCaException(
      @ForAll("seed") int seed, @ForAll("edits") List<Edit> edits) {
    byte[] text = SEEDS.get(seed).getBytes(StandardCharsets.US_ASCII);
    for (Edit e : edits) {
      text = e.apply(text);
    }
    check(new String(text, StandardCharsets.ISO_8859_1));
  }

  @Property
  void oddPemFramingFailsOnlyWithCaException(
      @ForAll("seed") int seed, @ForAll("label") String label, @ForAll("blocks") int blocks) {
    String body = SEEDS.get(seed).replace("CERTIFICATE REQUEST", label);
    check(body.repeat(blocks));
  }

  /** CSRs signed by their key whose subjectAltName extension holds arbitrary bytes or names. */
  @Property
  void signedRequestsWithOddSansFailOnlyWithCaException(
      @ForAll("sanValue") byte[] sanValue, @ForAll boolean critical) throws Exception {
    Extensions ext =
        new Extensions(
            new Extension(
                Extension.subjectAlternativeName, critical, new DEROctetString(sanValue)));
    CertificationRequestInfo info =
        new CertificationRequestInfo(
            new X500Name("O=test"),
            SubjectPublicKeyInfo.getInstance(EC.getPublic().getEncoded()),
            new DERSet(
                new Attribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new DERSet(ext))));
    check(pem("CERTIFICATE REQUEST", signed(info.getEncoded(ASN1Encoding.DER))));
  }

  @Provide
  Arbitrary<Integer> seed() {
    return Arbitraries.integers().between(0, SEEDS.size() - 1);
  }

  @Provide
  Arbitrary<String> label() {
    return Arbitraries.of(
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
        "CERTIFICATE",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "RSA PRIVATE KEY",
        "PUBLIC KEY",
        "X509 CRL",
        "PKCS7",
        "",
        "X");
  }

  @Provide
  Arbitrary<Integer> blocks() {
    return Arbitraries.integers().between(1, 3);
  }

  @Provide
  Arbitrary<byte[]> sanValue() {
    Arbitrary<byte[]> names =
        Arbitraries.of(
                new GeneralName(GeneralName.uniformResourceIdentifier, ID),
                new GeneralName(GeneralName.uniformResourceIdentifier, ""),
                new GeneralName(GeneralName.uniformResourceIdentifier, "not a uri \u0000"),
                new GeneralName(GeneralName.dNSName, "a.example"),
                new GeneralName(GeneralName.rfc822Name, "a@b"),
                new GeneralName(GeneralName.iPAddress, "10.0.0.1"),
                new GeneralName(GeneralName.directoryName, "CN=x"),
                new GeneralName(GeneralName.registeredID, "1.2.3"))
            .list()
            .ofMaxSize(3)
            .map(l -> encode(new GeneralNames(l.toArray(GeneralName[]::new))));
    return Arbitraries.oneOf(
        names,
        Combinators.combine(names, edits())
            .as(
                (b, es) -> {
                  for (Edit e : es) {
                    b = e.apply(b);
                  }
                  return b;
                }),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(40));
  }

  private static byte[] encode(ASN1Encodable a) {
    try {
      return a.toASN1Primitive().getEncoded(ASN1Encoding.DER);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // Counterexamples the properties found: BouncyCastle's IllegalArgumentException escaped the
  // validator, so the CA answered INTERNAL instead of INVALID_ARGUMENT.

  @Example
  void sanExtensionWithBrokenDerIsInvalidArgument() throws Exception {
    String pem =
        """
        -----BEGIN CERTIFICATE REQUEST-----
        MIHoMIGQAgEAMA8xDTALBgNVBAoMBHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMB
        BwNCAATMd3c7H0mGP7yjm86Bql78ECk4VTY/aia3Qnu/jtV+jYoFP8h5HzzFM0ZI
        wtlq8lYMCB8IEZVykFiUrixzSnIfoB8wHQYJKoZIhvcNAQkOMRAwDjAMBgNVHREB
        Af8EAgAAMAoGCCqGSM49BAMCA0cAMEQCIBM4hlOGReG9dIAAw728ULYTPy/uaOyc
        Bb3YITgqg/qlAiBg5d4NUrBAjpymhCuqwczZ7EmsoeQBmE29kGUFuYdOCg==
        -----END CERTIFICATE REQUEST-----
        """;
    check(pem);
    assertThat(catchThrowable(() -> CsrValidator.validate(pem)))
        .hasMessageStartingWith("csr: malformed extensionRequest attribute: ");
  }

  @Example
  void extensionRequestHoldingAnIntegerIsInvalidArgument() {
    String pem =
        """
        -----BEGIN CERTIFICATE REQUEST-----
        MIIBFDCBvAIBADAPMQ0wCwYDVQQKDAR0ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
        AQcDQgAEzHd3Ox9Jhj+8o5vOgape/BApOFU2P2omt0J7v47Vfo2KBT/IeR88xTNG
        SMLZavJWDAgfCBGVcpBYlK4sc0pyH6BLMEkGCSqGSIb3DQEJDjE8AjowOAYDVR0R
        AQH/BC4wLIYqc3BpZmZlOi8vY2x1c3Rlci5sb2NhbC9ucy9kZWZhdWx0L3NhL3Ns
        ZWVwMAoGCCqGSM49BAMCA0cAMEQCIGV3Xldh86v5jBQyPA8IwfdKfvbl54SVwF3Z
        /FH1p261AiAZ9g6PfapfFEj97uAYjiQj+dW0yGfUc9OoQyDn2zUyCA==
        -----END CERTIFICATE REQUEST-----
        """;
    check(pem);
    assertThat(catchThrowable(() -> CsrValidator.validate(pem)))
        .hasMessageStartingWith("csr: malformed extensionRequest attribute: ");
  }

  @Example
  void hugeInputIsRefusedBeforeParsing() {
    check(SEEDS.get(0).repeat(1000));
  }

  /** Validates {@code pem}: a valid CSR or a CaException with INVALID_ARGUMENT, nothing else. */
  static void check(String pem) {
    Throwable t = catchThrowable(() -> CsrValidator.validate(pem));
    if (t == null) {
      Statistics.label("outcome").collect("valid");
      return;
    }
    assertThat(t).as("for %s", pem).isInstanceOf(CaException.class);
    CaException e = (CaException) t;
    assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getMessage()).startsWith("csr: ");
    Statistics.label("outcome")
        .collect(e.getMessage().substring(5).replaceAll("[0-9]+", "N").replaceAll("[:,(].*", ""));
  }

  private static byte[] der(String pem) {
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(b64);
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  /** The DER of the request body (CertificationRequestInfo) of {@code pem}. */
  private static byte[] requestInfo(String pem) throws Exception {
    return Pem.csr(pem)
        .toASN1Structure()
        .getCertificationRequestInfo()
        .getEncoded(ASN1Encoding.DER);
  }

  /** A CertificationRequest around {@code info} as given, signed with the EC seed key. */
  private static byte[] signed(byte[] info) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(EC.getPrivate());
    s.update(info);
    byte[] alg =
        new AlgorithmIdentifier(
                new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.2.840.10045.4.3.2"))
            .getEncoded(ASN1Encoding.DER);
    byte[] sig = new DERBitString(s.sign()).getEncoded(ASN1Encoding.DER);
    byte[] content = concat(info, alg, sig);
    return concat(new byte[] {0x30}, length(content.length), content);
  }

  private static byte[] length(int n) {
    if (n < 128) {
      return new byte[] {(byte) n};
    }
    if (n < 256) {
      return new byte[] {(byte) 0x81, (byte) n};
    }
    return new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
  }
}
