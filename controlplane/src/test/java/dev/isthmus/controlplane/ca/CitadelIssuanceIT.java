package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.isthmus.controlplane.ca.proto.IstioCertificateResponse;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.assertj.core.api.ThrowableAssert;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreateCertificate over TLS against a real API server: TokenReview authentication, identity
 * checks, renewal over mTLS and bad input.
 */
@WithKubeApiServer
class CitadelIssuanceIT {
  private static final String SA = "sleep";
  private static KubernetesClient client;
  private static CaServer ca;
  private static String workloadNs;
  private static String identity;

  @BeforeAll
  static void start(KubernetesClient kube) throws Exception {
    client = kube;
    String controlPlane = CaServer.namespace(client, "ca-issue");
    workloadNs = CaServer.namespace(client, "workload");
    CaServer.serviceAccount(client, workloadNs, SA);
    identity = "spiffe://cluster.local/ns/" + workloadNs + "/sa/" + SA;
    ca = new CaServer(client, CaConfig.defaults(controlPlane));
  }

  @AfterAll
  static void stop() throws Exception {
    ca.close();
  }

  private static String token() {
    return CaServer.token(client, workloadNs, SA, "istio-ca");
  }

  private static List<X509Certificate> chain(IstioCertificateResponse response) {
    return response.getCertChainList().stream().map(Pem::certificate).toList();
  }

  private static void assertStatus(
      ThrowableAssert.ThrowingCallable call, Status.Code code, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(message);
            });
  }

  @Test
  void tokenCallerGetsAChainThatVerifiesToTheDistributedRoot(@TempDir Path dir) throws Exception {
    KeyPair keys = CaFixtures.ec("secp256r1");
    IstioCertificateResponse response =
        ca.call(token(), CaFixtures.spiffeCsr(keys, identity), 7200);

    List<X509Certificate> chain = chain(response);
    assertThat(chain).hasSize(2);
    X509Certificate leaf = chain.get(0);
    assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, identity));
    assertThat(leaf.getNotAfter().getTime() - leaf.getNotBefore().getTime())
        .isEqualTo(Duration.ofSeconds(7200).plus(CertIssuer.BACKDATE).toMillis());

    CaServer.await(
        "istio-ca-root-cert in " + workloadNs,
        () ->
            client.configMaps().inNamespace(workloadNs).withName("istio-ca-root-cert").get()
                != null);
    ConfigMap cm = client.configMaps().inNamespace(workloadNs).withName("istio-ca-root-cert").get();
    X509Certificate distributed = Pem.certificate(cm.getData().get("root-cert.pem"));
    assertThat(chain.get(chain.size() - 1)).isEqualTo(distributed);
    CaFixtures.verifyPkix(chain, distributed);

    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
    Files.writeString(dir.resolve("root.pem"), cm.getData().get("root-cert.pem"));
    Files.writeString(dir.resolve("leaf.pem"), response.getCertChain(0));
    Process p =
        new ProcessBuilder(
                "/usr/bin/openssl",
                "verify",
                "-purpose",
                "sslclient",
                "-CAfile",
                dir.resolve("root.pem").toString(),
                dir.resolve("leaf.pem").toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("leaf.pem: OK");
  }

  @Test
  void csrForAnotherIdentityIsPermissionDenied() throws Exception {
    String other = "spiffe://cluster.local/ns/" + workloadNs + "/sa/default";
    assertStatus(
        () -> ca.call(token(), CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), other), 0),
        Status.Code.PERMISSION_DENIED,
        "is not the caller's identity " + identity);
  }

  @Test
  void missingForgedWrongAudienceAndExpiredTokensAreUnauthenticated() throws Exception {
    String csr = CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), identity);
    assertStatus(
        () -> ca.call(null, csr, 0),
        Status.Code.UNAUTHENTICATED,
        "no client certificate and no authorization header");

    String token = token();
    String forged =
        token.substring(0, token.length() - 6) + (token.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");
    assertStatus(() -> ca.call(forged, csr, 0), Status.Code.UNAUTHENTICATED, "token rejected");

    String otherAudience = CaServer.token(client, workloadNs, SA, "some-other-audience");
    assertStatus(
        () -> ca.call(otherAudience, csr, 0), Status.Code.UNAUTHENTICATED, "token rejected");

    Path signingKey = Path.of(System.getProperty("user.home"), ".kubeapitest", "apiserver.key");
    assumeTrue(Files.isReadable(signingKey), "API server signing key not found");
    String expired = resign(token, Pem.privateKey(Files.readString(signingKey)), -3600);
    String fresh = resign(token, Pem.privateKey(Files.readString(signingKey)), 3600);
    // The re-signed token with a future expiry is accepted: the refusal below is the expiry.
    assertThat(chain(ca.call(fresh, csr, 0))).hasSize(2);
    assertStatus(() -> ca.call(expired, csr, 0), Status.Code.UNAUTHENTICATED, "token rejected");
  }

  /** {@code token} with its times moved so that it expires {@code expiresIn} seconds from now. */
  private static String resign(String token, java.security.PrivateKey key, long expiresIn)
      throws Exception {
    String[] parts = token.split("\\.");
    Base64.Decoder dec = Base64.getUrlDecoder();
    Base64.Encoder enc = Base64.getUrlEncoder().withoutPadding();
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var claims =
        (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(dec.decode(parts[1]));
    long now = System.currentTimeMillis() / 1000;
    claims.put("exp", now + expiresIn);
    claims.put("iat", now + expiresIn - 7200);
    claims.put("nbf", now + expiresIn - 7200);
    String signed = parts[0] + "." + enc.encodeToString(mapper.writeValueAsBytes(claims));
    Signature rs256 = Signature.getInstance("SHA256withRSA");
    rs256.initSign(key);
    rs256.update(signed.getBytes(StandardCharsets.US_ASCII));
    return signed + "." + enc.encodeToString(rs256.sign());
  }

  @Test
  void renewalOverMutualTlsNeedsNoToken() throws Exception {
    KeyPair keys = CaFixtures.ec("secp256r1");
    List<X509Certificate> first =
        chain(ca.call(token(), CaFixtures.spiffeCsr(keys, identity), 3600));

    KeyPair next = CaFixtures.rsa(2048);
    List<X509Certificate> renewed =
        chain(ca.call(null, keys, first, CaFixtures.spiffeCsr(next, identity), 3600));
    assertThat(renewed.get(0).getPublicKey()).isEqualTo(next.getPublic());
    assertThat(renewed.get(0).getSubjectAlternativeNames()).containsExactly(List.of(6, identity));

    String other = "spiffe://cluster.local/ns/" + workloadNs + "/sa/default";
    assertStatus(
        () -> ca.call(null, keys, first, CaFixtures.spiffeCsr(next, other), 3600),
        Status.Code.PERMISSION_DENIED,
        "is not the caller's identity");
  }

  @Test
  void badCsrsGetSpecificStatusesOverTheWire() throws Exception {
    KeyPair ec = CaFixtures.ec("secp256r1");
    String token = token();
    record Case(String name, String csr, long seconds, String message) {}
    List<Case> cases =
        List.of(
            new Case("not PEM", "not a csr", 0, "csr: no PEM block found"),
            new Case(
                "RSA 1024",
                CaFixtures.spiffeCsr(CaFixtures.rsa(1024), identity),
                0,
                "RSA key of 1024 bits"),
            new Case("no SAN", CaFixtures.csr(ec), 0, "csr: no subjectAltName"),
            new Case(
                "two SANs",
                CaFixtures.csr(
                    ec,
                    new GeneralName(GeneralName.uniformResourceIdentifier, identity),
                    new GeneralName(GeneralName.dNSName, "sleep")),
                0,
                "2 subjectAltNames"),
            new Case(
                "negative validity",
                CaFixtures.spiffeCsr(ec, identity),
                -1,
                "validity_duration: -1s is negative"),
            new Case(
                "oversized", "x".repeat(CsrValidator.MAX_CSR_CHARS + 1), 0, "exceeds the limit"));
    for (Case c : cases) {
      assertStatus(
          () -> ca.call(token, c.csr(), c.seconds()), Status.Code.INVALID_ARGUMENT, c.message());
    }
    assertThat(ca.citadel.metrics().csrParsingErrorCount()).isPositive();
  }
}
