package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isthmus.controlplane.ca.proto.IstioCertificateRequest;
import dev.isthmus.controlplane.ca.proto.IstioCertificateResponse;
import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import io.grpc.Status;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exercises request handling without an API server: callers authenticate with client certificates
 * issued by the CA (the renewal path), which needs no TokenReview.
 */
class CertificateServiceTest {
  private static final String ID = "spiffe://cluster.local/ns/default/sa/sleep";
  private final CaConfig config = CaConfig.defaults("istio-system");
  private final SigningAuthority ca = CaFixtures.selfSigned(KeyType.ECDSA_P256);
  private final IstioPrometheusRegistry prometheus = new IstioPrometheusRegistry();
  private final CaMetrics metrics = new CaMetrics(prometheus.registry(), () -> ca);
  private final CertificateService service =
      new CertificateService(
          config, new CallerAuthenticator(null, config, () -> ca), () -> ca, metrics);

  private AuthInterceptor.Credentials clientCert(SigningAuthority issuer, String identity)
      throws Exception {
    X509Certificate cert =
        CertIssuer.workload(
            issuer, CaFixtures.ec("secp256r1").getPublic(), identity, Duration.ofHours(1));
    return new AuthInterceptor.Credentials(null, issuer.chainFor(cert));
  }

  private static IstioCertificateRequest request(String csr, long seconds) {
    return IstioCertificateRequest.newBuilder().setCsr(csr).setValidityDuration(seconds).build();
  }

  private static List<X509Certificate> chain(IstioCertificateResponse response) {
    return response.getCertChainList().stream().map(Pem::certificate).toList();
  }

  private static Duration lifetime(X509Certificate cert) {
    return Duration.ofMillis(cert.getNotAfter().getTime() - cert.getNotBefore().getTime())
        .minus(CertIssuer.BACKDATE);
  }

  @Test
  void issuesForTheCallersIdentityWithTheRequestedTtl() throws Exception {
    KeyPair keys = CaFixtures.rsa(2048);
    IstioCertificateResponse response =
        service.issue(request(CaFixtures.spiffeCsr(keys, ID), 3600), clientCert(ca, ID));
    List<X509Certificate> chain = chain(response);
    assertThat(chain).hasSize(2);
    assertThat(chain.get(0).getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(chain.get(0).getSubjectAlternativeNames()).containsExactly(List.of(6, ID));
    assertThat(chain.get(1)).isEqualTo(ca.root());
    assertThat(lifetime(chain.get(0))).isEqualTo(Duration.ofHours(1));
    CaFixtures.verifyPkix(chain, ca.root());
    assertThat(metrics.csrCount()).isEqualTo(1);
    assertThat(metrics.successCount()).isEqualTo(1);
    double expiry = ca.root().getNotAfter().getTime() / 1000;
    assertThat(prometheus.scrape())
        .contains("\ncitadel_server_csr_count 1.0\n")
        .contains("\ncitadel_server_success_cert_issuance_count 1.0\n")
        .contains("\ncitadel_server_root_cert_expiry_seconds ")
        .contains("\ncitadel_server_root_cert_expiry_timestamp " + expiry + "\n");
  }

  @Test
  void unsetValidityGetsTheDefaultAndLongRequestsAreCapped() throws Exception {
    String csr = CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), ID);
    X509Certificate byDefault = chain(service.issue(request(csr, 0), clientCert(ca, ID))).get(0);
    assertThat(lifetime(byDefault)).isEqualTo(Duration.ofHours(24));
    X509Certificate capped =
        chain(service.issue(request(csr, Duration.ofDays(400).toSeconds()), clientCert(ca, ID)))
            .get(0);
    assertThat(lifetime(capped)).isEqualTo(Duration.ofDays(90));
  }

  @Test
  void leafNeverOutlivesAShortLivedIntermediate() throws Exception {
    KeyPair interKeys = KeyType.ECDSA_P256.generate();
    X509Certificate inter = CaFixtures.intermediate(ca, interKeys, "short");
    SigningAuthority plugged =
        new SigningAuthority(
            interKeys.getPrivate(),
            List.of(inter, ca.root()),
            List.of(ca.root()),
            SigningAuthority.Source.PLUGGED_IN);
    CertificateService viaIntermediate =
        new CertificateService(
            config, new CallerAuthenticator(null, config, () -> plugged), () -> plugged, metrics);
    X509Certificate leaf =
        chain(
                viaIntermediate.issue(
                    request(CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), ID), 89L * 86400),
                    clientCert(plugged, ID)))
            .get(0);
    assertThat(leaf.getNotAfter()).isBeforeOrEqualTo(inter.getNotAfter());
  }

  @Test
  void csrForAnotherIdentityIsPermissionDenied() throws Exception {
    String other = "spiffe://cluster.local/ns/default/sa/other";
    assertThatThrownBy(
            () ->
                service.issue(
                    request(CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), other), 0),
                    clientCert(ca, ID)))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED))
        .hasMessageContaining(other)
        .hasMessageContaining("is not the caller's identity " + ID);
    assertThat(metrics.successCount()).isZero();
  }

  @Test
  void callerWithoutCredentialsIsUnauthenticated() throws Exception {
    String csr = CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), ID);
    assertThatThrownBy(
            () -> service.issue(request(csr, 0), new AuthInterceptor.Credentials(null, List.of())))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.UNAUTHENTICATED))
        .hasMessageContaining("no client certificate and no authorization header");
    assertThatThrownBy(
            () ->
                service.issue(
                    request(csr, 0), new AuthInterceptor.Credentials("Basic abc", List.of())))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.UNAUTHENTICATED))
        .hasMessageContaining("expected 'Bearer <token>'");
    assertThat(metrics.authenticationFailureCount()).isEqualTo(2);
  }

  @Test
  void clientCertificateFromAnotherCaIsUnauthenticated() throws Exception {
    SigningAuthority stranger = CaFixtures.selfSigned(KeyType.ECDSA_P256);
    assertThatThrownBy(
            () ->
                service.issue(
                    request(CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), ID), 0),
                    clientCert(stranger, ID)))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.UNAUTHENTICATED))
        .hasMessageContaining("does not verify to this CA");
  }

  @Test
  void negativeValidityAndMalformedCsrAreInvalidArgument() throws Exception {
    String csr = CaFixtures.spiffeCsr(CaFixtures.ec("secp256r1"), ID);
    assertThatThrownBy(() -> service.issue(request(csr, -5), clientCert(ca, ID)))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessage("validity_duration: -5s is negative, expected seconds > 0");
    assertThatThrownBy(() -> service.issue(request("garbage", 0), clientCert(ca, ID)))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageStartingWith("csr: ");
  }
}
