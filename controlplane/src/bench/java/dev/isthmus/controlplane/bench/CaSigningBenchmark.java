package dev.isthmus.controlplane.bench;

import dev.isthmus.controlplane.ca.CertIssuer;
import dev.isthmus.controlplane.ca.CsrValidator;
import dev.isthmus.controlplane.ca.KeyType;
import dev.isthmus.controlplane.ca.Pem;
import dev.isthmus.controlplane.ca.SigningAuthority;
import dev.isthmus.controlplane.ca.Signatures;
import java.io.OutputStream;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * The CA's signing path on one thread, per CA key type and signature provider, to set beside {@code
 * openssl speed -seconds 3 rsa2048 ecdsap256} on the same machine ({@code scripts/bench-ca.sh
 * signing} runs both):
 *
 * <ul>
 *   <li>{@code sign}: one signature of a workload certificate's TBS bytes with the CA key, made as
 *       {@link CertIssuer} makes it (a BouncyCastle {@code ContentSigner} from {@link Signatures});
 *   <li>{@code issue}: what a {@code CreateCertificate} costs past authentication: parse the PEM
 *       CSR and verify its self-signature ({@link CsrValidator}), build and sign the workload
 *       certificate ({@link CertIssuer#workload}), PEM-encode the chain.
 * </ul>
 *
 * The CSRs carry an RSA-2048 key, as pilot-agent's by default. Each parameter combination runs in
 * its own fork, which is what lets {@code signatures} choose the process-wide provider: do not run
 * it with {@code -f 0}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class CaSigningBenchmark {
  private static final String ID = "spiffe://cluster.local/ns/bench/sa/bench";

  @Param({"RSA_2048", "ECDSA_P256"})
  public String caKey;

  @Param({"native", "jdk"})
  public String signatures;

  SigningAuthority ca;
  String algorithm;
  byte[] tbs;
  String csr;

  @Setup
  public void setup() throws Exception {
    System.setProperty(Signatures.PROPERTY, signatures);
    Signatures chosen = Signatures.get();
    if (chosen.isNative() != signatures.equals("native")) {
      throw new IllegalStateException(
          "asked for " + signatures + " signatures, the process has " + chosen.name());
    }
    KeyType type = KeyType.valueOf(caKey);
    KeyPair keys = type.generate();
    X509Certificate root = CertIssuer.selfSignedRoot(keys, "cluster.local", Duration.ofDays(3650));
    ca =
        new SigningAuthority(
            keys.getPrivate(), List.of(root), List.of(root), SigningAuthority.Source.SELF_SIGNED);
    algorithm = root.getSigAlgName();
    KeyPair leafKeys = KeyType.RSA_2048.generate();
    tbs = CertIssuer.workload(ca, leafKeys.getPublic(), ID, Duration.ofHours(24)).getTBSCertificate();
    csr = csr(leafKeys);
  }

  @Benchmark
  public byte[] sign() throws Exception {
    ContentSigner signer = Signatures.get().contentSigner(algorithm, ca.key());
    try (OutputStream out = signer.getOutputStream()) {
      out.write(tbs);
    }
    return signer.getSignature();
  }

  @Benchmark
  public List<String> issue() throws Exception {
    CsrValidator.ValidCsr valid = CsrValidator.validate(csr);
    X509Certificate leaf =
        CertIssuer.workload(ca, valid.publicKey(), valid.uri(), Duration.ofHours(24));
    List<String> chain = new ArrayList<>(2);
    for (X509Certificate c : ca.chainFor(leaf)) {
      chain.add(Pem.encode(c));
    }
    return chain;
  }

  /** A CSR shaped like pilot-agent's: no subject, one URI SAN. */
  static String csr(KeyPair keys) throws Exception {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(
        Extension.subjectAlternativeName,
        true,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, ID)));
    var request =
        new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
            .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
            .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()));
    return "-----BEGIN CERTIFICATE REQUEST-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(request.getEncoded())
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }
}
