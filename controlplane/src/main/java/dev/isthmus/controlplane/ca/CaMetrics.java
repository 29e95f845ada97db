package dev.isthmus.controlplane.ca;

import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * {@code CaMetrics} counts certificate requests under Istio's metric names and renders them in the
 * Prometheus text format for whatever endpoint the control plane exposes.
 */
public final class CaMetrics {
  final LongAdder csr = new LongAdder();
  final LongAdder success = new LongAdder();
  final LongAdder authnFailure = new LongAdder();
  final LongAdder csrParsingError = new LongAdder();
  final LongAdder idExtractionError = new LongAdder();
  final LongAdder signError = new LongAdder();
  final LongAdder rootSecretRestored = new LongAdder();
  final LongAdder pluggedInSecretMissing = new LongAdder();
  private final Supplier<SigningAuthority> ca;

  CaMetrics(Supplier<SigningAuthority> ca) {
    this.ca = ca;
  }

  /** {@code citadel_server_csr_count}: certificate requests received. */
  public long csrCount() {
    return csr.sum();
  }

  /** {@code citadel_server_success_cert_issuance_count}: certificates issued. */
  public long successCount() {
    return success.sum();
  }

  /** {@code citadel_server_authentication_failure_count}: requests without a valid identity. */
  public long authenticationFailureCount() {
    return authnFailure.sum();
  }

  /**
   * {@code citadel_server_root_secret_restored_count}: times Secret {@code istio-ca-secret} was
   * found deleted while its root was in use and was written back from memory.
   */
  public long rootSecretRestoredCount() {
    return rootSecretRestored.sum();
  }

  /**
   * {@code citadel_server_plugged_in_secret_missing_count}: times Secret {@code cacerts} was found
   * deleted while its CA was in use (the CA keeps signing with it from memory).
   */
  public long pluggedInSecretMissingCount() {
    return pluggedInSecretMissing.sum();
  }

  /** {@code citadel_server_root_cert_expiry_seconds}: seconds until the root expires. */
  public double rootCertExpirySeconds() {
    SigningAuthority current = ca.get();
    if (current == null) {
      return 0;
    }
    return (current.root().getNotAfter().getTime() - Instant.now().toEpochMilli()) / 1000.0;
  }

  /** All counters and gauges in the Prometheus text exposition format. */
  public String prometheusText() {
    StringBuilder out = new StringBuilder();
    counter(out, "citadel_server_csr_count", "The number of CSRs received.", csr.sum());
    counter(
        out,
        "citadel_server_success_cert_issuance_count",
        "The number of certificates issuances that have succeeded.",
        success.sum());
    counter(
        out,
        "citadel_server_authentication_failure_count",
        "The number of authentication failures.",
        authnFailure.sum());
    counter(
        out,
        "citadel_server_csr_parsing_err_count",
        "The number of errors occurred when parsing the CSR.",
        csrParsingError.sum());
    counter(
        out,
        "citadel_server_id_extraction_err_count",
        "The number of requests whose CSR identity does not match the caller.",
        idExtractionError.sum());
    counter(
        out,
        "citadel_server_csr_sign_err_count",
        "The number of errors occurred when signing the CSR.",
        signError.sum());
    counter(
        out,
        "citadel_server_root_secret_restored_count",
        "The number of times istio-ca-secret was deleted while in use and written back from"
            + " memory.",
        rootSecretRestored.sum());
    counter(
        out,
        "citadel_server_plugged_in_secret_missing_count",
        "The number of times cacerts was deleted while its CA was in use.",
        pluggedInSecretMissing.sum());
    out.append("# HELP citadel_server_root_cert_expiry_seconds")
        .append(" The time remaining, in seconds, before the root cert will expire.\n")
        .append("# TYPE citadel_server_root_cert_expiry_seconds gauge\n")
        .append("citadel_server_root_cert_expiry_seconds ")
        .append(rootCertExpirySeconds())
        .append('\n');
    SigningAuthority current = ca.get();
    if (current != null) {
      out.append("# HELP citadel_server_root_cert_expiry_timestamp")
          .append(" The unix timestamp, in seconds, when the root cert will expire.\n")
          .append("# TYPE citadel_server_root_cert_expiry_timestamp gauge\n")
          .append("citadel_server_root_cert_expiry_timestamp ")
          .append(current.root().getNotAfter().getTime() / 1000)
          .append('\n');
    }
    return out.toString();
  }

  private static void counter(StringBuilder out, String name, String help, long value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" counter\n");
    out.append(name).append(' ').append(value).append('\n');
  }
}
