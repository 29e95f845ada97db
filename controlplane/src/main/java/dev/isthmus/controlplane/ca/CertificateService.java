package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.ca.proto.IstioCertificateRequest;
import dev.isthmus.controlplane.ca.proto.IstioCertificateResponse;
import dev.isthmus.controlplane.ca.proto.IstioCertificateServiceGrpc;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code CertificateService} implements {@code istio.v1.auth.IstioCertificateService}: it
 * authenticates the caller ({@link CallerAuthenticator}), validates the CSR ({@link CsrValidator}),
 * requires the CSR's only SAN to be the caller's identity and signs it with the current {@link
 * SigningAuthority}. It must be served behind {@link AuthInterceptor}.
 */
public final class CertificateService implements BindableService {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateService.class);

  private final CaConfig config;
  private final CallerAuthenticator authenticator;
  private final Supplier<SigningAuthority> ca;
  private final CaMetrics metrics;

  CertificateService(
      CaConfig config,
      CallerAuthenticator authenticator,
      Supplier<SigningAuthority> ca,
      CaMetrics metrics) {
    this.config = config;
    this.authenticator = authenticator;
    this.ca = ca;
    this.metrics = metrics;
  }

  @Override
  public ServerServiceDefinition bindService() {
    return ServerServiceDefinition.builder(IstioCertificateServiceGrpc.SERVICE_NAME)
        .addMethod(
            IstioCertificateServiceGrpc.getCreateCertificateMethod(),
            ServerCalls.asyncUnaryCall(this::createCertificate))
        .build();
  }

  /** Handles {@code CreateCertificate}. */
  public void createCertificate(
      IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
    try {
      response.onNext(issue(request, AuthInterceptor.CREDENTIALS.get()));
      response.onCompleted();
    } catch (CaException e) {
      LOG.info("certificate request refused: {} {}", e.code(), e.getMessage());
      response.onError(e.status().asRuntimeException());
    } catch (RuntimeException e) {
      metrics.signError.increment();
      LOG.error("certificate signing failed", e);
      response.onError(
          Status.INTERNAL
              .withDescription("signing failed: " + e.getMessage())
              .asRuntimeException());
    }
  }

  /** Handles one request presented with {@code creds}; visible for benchmarks and tests. */
  IstioCertificateResponse issue(IstioCertificateRequest request, AuthInterceptor.Credentials creds)
      throws CaException {
    metrics.csr.increment();
    String identity;
    try {
      if (creds == null) {
        throw new CaException(
            Status.Code.UNAUTHENTICATED,
            "no credentials: the service is not behind AuthInterceptor");
      }
      identity = authenticator.authenticate(creds.authorization(), creds.peerChain());
    } catch (CaException e) {
      metrics.authnFailure.increment();
      throw e;
    }
    CsrValidator.ValidCsr csr;
    Duration ttl;
    try {
      csr = CsrValidator.validate(request.getCsr());
      ttl = ttl(request.getValidityDuration());
    } catch (CaException e) {
      metrics.csrParsingError.increment();
      throw e;
    }
    if (!csr.uri().equals(identity)) {
      metrics.idExtractionError.increment();
      throw new CaException(
          Status.Code.PERMISSION_DENIED,
          "csr: subjectAltName " + csr.uri() + " is not the caller's identity " + identity);
    }
    SigningAuthority current = ca.get();
    if (current == null) {
      throw new CaException(Status.Code.UNAVAILABLE, "the CA has no signing key yet");
    }
    Duration remaining = Duration.between(Instant.now(), current.chainExpiry());
    if (ttl.compareTo(remaining) > 0) {
      ttl = remaining; // Istio never issues past the signing chain's own expiry.
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new CaException(Status.Code.UNAVAILABLE, "the CA's signing certificate has expired");
    }
    X509Certificate leaf = CertIssuer.workload(current, csr.publicKey(), identity, ttl);
    IstioCertificateResponse.Builder out = IstioCertificateResponse.newBuilder();
    out.addCertChain(Pem.encode(leaf)).addAllCertChain(chainPem(current));
    metrics.success.increment();
    LOG.debug("issued {} for {}, valid {}", leaf.getSerialNumber().toString(16), identity, ttl);
    return out.build();
  }

  /** The signing chain as PEM, leaf excluded: encoded once per signing authority. */
  private List<String> chainPem(SigningAuthority current) {
    EncodedChain e = encodedChain;
    if (e == null || e.ca() != current) {
      e = new EncodedChain(current, current.chain().stream().map(Pem::encode).toList());
      encodedChain = e;
    }
    return e.pems();
  }

  private record EncodedChain(SigningAuthority ca, List<String> pems) {}

  private volatile EncodedChain encodedChain;

  /** The lifetime to issue: the default for 0 (unset), capped at the maximum. */
  Duration ttl(long requestedSeconds) throws CaException {
    if (requestedSeconds < 0) {
      throw new CaException(
          Status.Code.INVALID_ARGUMENT,
          "validity_duration: " + requestedSeconds + "s is negative, expected seconds > 0");
    }
    if (requestedSeconds == 0) {
      return config.workloadTtl();
    }
    Duration asked = Duration.ofSeconds(requestedSeconds);
    return asked.compareTo(config.maxTtl()) > 0 ? config.maxTtl() : asked;
  }
}
