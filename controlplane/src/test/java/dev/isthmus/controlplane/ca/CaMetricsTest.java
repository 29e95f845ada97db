package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exposition of the CA's metrics, line by line, under the names istiod publishes: counters
 * named {@code *_count} with no {@code _total} after them.
 */
class CaMetricsTest {
  private static final String EXPIRY_SECONDS = "citadel_server_root_cert_expiry_seconds ";

  private final IstioPrometheusRegistry prometheus = new IstioPrometheusRegistry();

  @Test
  void everyMetricHasIstiodsNameAndType() {
    SigningAuthority ca = CaFixtures.selfSigned(KeyType.ECDSA_P256);
    CaMetrics metrics = new CaMetrics(prometheus.registry(), () -> ca);
    metrics.csr.increment();
    metrics.csr.increment();
    metrics.success.increment();
    metrics.authnFailure.increment();
    metrics.csrParsingError.increment();
    metrics.idExtractionError.increment();
    metrics.signError.increment();
    metrics.rootSecretRestored.increment();
    metrics.pluggedInSecretMissing.increment();
    long notAfter = ca.root().getNotAfter().getTime() / 1000;

    List<String> lines = prometheus.scrape().lines().toList();
    String expirySeconds =
        lines.stream().filter(l -> l.startsWith(EXPIRY_SECONDS)).findFirst().orElseThrow();
    double remaining = Double.parseDouble(expirySeconds.substring(EXPIRY_SECONDS.length()));
    assertThat(remaining)
        .isBetween(notAfter - System.currentTimeMillis() / 1000.0 - 60, notAfter * 1.0);

    assertThat(lines)
        .containsExactlyInAnyOrder(
            "# HELP citadel_server_csr_count The number of CSRs received.",
            "# TYPE citadel_server_csr_count counter",
            "citadel_server_csr_count 2.0",
            "# HELP citadel_server_success_cert_issuance_count The number of certificates"
                + " issuances that have succeeded.",
            "# TYPE citadel_server_success_cert_issuance_count counter",
            "citadel_server_success_cert_issuance_count 1.0",
            "# HELP citadel_server_authentication_failure_count The number of authentication"
                + " failures.",
            "# TYPE citadel_server_authentication_failure_count counter",
            "citadel_server_authentication_failure_count 1.0",
            "# HELP citadel_server_csr_parsing_err_count The number of errors occurred when"
                + " parsing the CSR.",
            "# TYPE citadel_server_csr_parsing_err_count counter",
            "citadel_server_csr_parsing_err_count 1.0",
            "# HELP citadel_server_id_extraction_err_count The number of requests whose CSR"
                + " identity does not match the caller.",
            "# TYPE citadel_server_id_extraction_err_count counter",
            "citadel_server_id_extraction_err_count 1.0",
            "# HELP citadel_server_csr_sign_err_count The number of errors occurred when signing"
                + " the CSR.",
            "# TYPE citadel_server_csr_sign_err_count counter",
            "citadel_server_csr_sign_err_count 1.0",
            "# HELP citadel_server_root_secret_restored_count The number of times istio-ca-secret"
                + " was deleted while in use and written back from memory.",
            "# TYPE citadel_server_root_secret_restored_count counter",
            "citadel_server_root_secret_restored_count 1.0",
            "# HELP citadel_server_plugged_in_secret_missing_count The number of times cacerts was"
                + " deleted while its CA was in use.",
            "# TYPE citadel_server_plugged_in_secret_missing_count counter",
            "citadel_server_plugged_in_secret_missing_count 1.0",
            "# HELP citadel_server_root_cert_expiry_seconds The time remaining, in seconds, before"
                + " the root cert will expire.",
            "# TYPE citadel_server_root_cert_expiry_seconds gauge",
            expirySeconds,
            "# HELP citadel_server_root_cert_expiry_timestamp The unix timestamp, in seconds, when"
                + " the root cert will expire.",
            "# TYPE citadel_server_root_cert_expiry_timestamp gauge",
            "citadel_server_root_cert_expiry_timestamp " + (double) notAfter);
    assertThat(metrics.csrCount()).isEqualTo(2);
    assertThat(metrics.csrParsingErrorCount()).isEqualTo(1);
  }

  @Test
  void beforeTheCaHasARootItsExpiryIsUnknown() {
    CaMetrics metrics = new CaMetrics(prometheus.registry(), () -> null);
    assertThat(prometheus.scrape().lines())
        .contains(
            "citadel_server_root_cert_expiry_seconds 0.0",
            "citadel_server_root_cert_expiry_timestamp NaN");
    assertThat(metrics.rootCertExpirySeconds()).isZero();
  }
}
