package dev.isthmus.controlplane.ca;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * {@code CaMetrics} counts certificate requests as Micrometer meters under Istio's metric names
 * ({@code citadel_server_*}); the registry's owner renders them (see {@link
 * dev.isthmus.controlplane.server.IstioPrometheusRegistry}).
 */
public final class CaMetrics {
  final Counter csr;
  final Counter success;
  final Counter authnFailure;
  final Counter csrParsingError;
  final Counter idExtractionError;
  final Counter signError;
  final Counter rootSecretRestored;
  final Counter pluggedInSecretMissing;
  private final Supplier<SigningAuthority> ca;

  CaMetrics(MeterRegistry registry, Supplier<SigningAuthority> ca) {
    this.ca = ca;
    this.csr = counter(registry, "citadel_server_csr_count", "The number of CSRs received.");
    this.success =
        counter(
            registry,
            "citadel_server_success_cert_issuance_count",
            "The number of certificates issuances that have succeeded.");
    this.authnFailure =
        counter(
            registry,
            "citadel_server_authentication_failure_count",
            "The number of authentication failures.");
    this.csrParsingError =
        counter(
            registry,
            "citadel_server_csr_parsing_err_count",
            "The number of errors occurred when parsing the CSR.");
    this.idExtractionError =
        counter(
            registry,
            "citadel_server_id_extraction_err_count",
            "The number of requests whose CSR identity does not match the caller.");
    this.signError =
        counter(
            registry,
            "citadel_server_csr_sign_err_count",
            "The number of errors occurred when signing the CSR.");
    this.rootSecretRestored =
        counter(
            registry,
            "citadel_server_root_secret_restored_count",
            "The number of times istio-ca-secret was deleted while in use and written back from"
                + " memory.");
    this.pluggedInSecretMissing =
        counter(
            registry,
            "citadel_server_plugged_in_secret_missing_count",
            "The number of times cacerts was deleted while its CA was in use.");
    Gauge.builder("citadel_server_root_cert_expiry_seconds", this::rootCertExpirySeconds)
        .description("The time remaining, in seconds, before the root cert will expire.")
        .register(registry);
    Gauge.builder("citadel_server_root_cert_expiry_timestamp", this::rootCertExpiryTimestamp)
        .description("The unix timestamp, in seconds, when the root cert will expire.")
        .register(registry);
  }

  private static Counter counter(MeterRegistry registry, String name, String help) {
    return Counter.builder(name).description(help).register(registry);
  }

  /** {@code citadel_server_csr_count}: certificate requests received. */
  public long csrCount() {
    return (long) csr.count();
  }

  /** {@code citadel_server_success_cert_issuance_count}: certificates issued. */
  public long successCount() {
    return (long) success.count();
  }

  /** {@code citadel_server_authentication_failure_count}: requests without a valid identity. */
  public long authenticationFailureCount() {
    return (long) authnFailure.count();
  }

  /** {@code citadel_server_csr_parsing_err_count}: requests whose CSR could not be used. */
  public long csrParsingErrorCount() {
    return (long) csrParsingError.count();
  }

  /**
   * {@code citadel_server_root_secret_restored_count}: times Secret {@code istio-ca-secret} was
   * found deleted while its root was in use and was written back from memory.
   */
  public long rootSecretRestoredCount() {
    return (long) rootSecretRestored.count();
  }

  /**
   * {@code citadel_server_plugged_in_secret_missing_count}: times Secret {@code cacerts} was found
   * deleted while its CA was in use (the CA keeps signing with it from memory).
   */
  public long pluggedInSecretMissingCount() {
    return (long) pluggedInSecretMissing.count();
  }

  /** {@code citadel_server_root_cert_expiry_seconds}: seconds until the root expires. */
  public double rootCertExpirySeconds() {
    SigningAuthority current = ca.get();
    if (current == null) {
      return 0;
    }
    return (current.root().getNotAfter().getTime() - Instant.now().toEpochMilli()) / 1000.0;
  }

  /**
   * {@code citadel_server_root_cert_expiry_timestamp}: when the root expires, in Unix seconds; NaN
   * before the CA has loaded its root.
   */
  public double rootCertExpiryTimestamp() {
    SigningAuthority current = ca.get();
    return current == null ? Double.NaN : current.root().getNotAfter().getTime() / 1000;
  }
}
