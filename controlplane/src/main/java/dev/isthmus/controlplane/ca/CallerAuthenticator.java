package dev.isthmus.controlplane.ca;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.InOutCreateable;
import io.grpc.Status;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code CallerAuthenticator} finds who is calling the CA, the way Istio's CA server does: first a
 * TLS client certificate issued by this CA (certificate renewal; the identity is its SPIFFE URI
 * SAN), then a {@code authorization: Bearer <service-account JWT>} header checked with the
 * Kubernetes TokenReview API for the configured audiences (identity {@code
 * spiffe://<trustDomain>/ns/<ns>/sa/<sa>}).
 */
public final class CallerAuthenticator {
  /** The group the API server puts every service account in. */
  static final String SA_GROUP = "system:serviceaccounts";

  private static final String SA_USER = "system:serviceaccount";

  /** Creates a TokenReview and returns the API server's answer. */
  @FunctionalInterface
  interface TokenReviewer {
    TokenReview create(TokenReview review);
  }

  private final TokenReviewer reviewer;
  private final CaConfig config;
  private final Supplier<SigningAuthority> ca;

  /**
   * An authenticator checking tokens through {@code client} and certificates against {@code ca}.
   */
  public CallerAuthenticator(
      KubernetesClient client, CaConfig config, Supplier<SigningAuthority> ca) {
    this(reviewer(client), config, ca);
  }

  /**
   * TokenReviews through {@code client}. The operation is made once, on first use: fabric8 makes
   * each new one look for a {@code TokenReviewList} class, which does not exist, and a failed class
   * lookup searches the whole class path, on every request.
   */
  private static TokenReviewer reviewer(KubernetesClient client) {
    return new TokenReviewer() {
      private volatile InOutCreateable<TokenReview, TokenReview> reviews;

      @Override
      public TokenReview create(TokenReview review) {
        InOutCreateable<TokenReview, TokenReview> op = reviews;
        if (op == null) {
          op = client.authentication().v1().tokenReviews();
          reviews = op;
        }
        return op.create(review);
      }
    };
  }

  /** An authenticator whose TokenReviews go to {@code reviewer} instead of an API server. */
  static CallerAuthenticator reviewedBy(
      TokenReviewer reviewer, CaConfig config, Supplier<SigningAuthority> ca) {
    return new CallerAuthenticator(reviewer, config, ca);
  }

  private CallerAuthenticator(
      TokenReviewer reviewer, CaConfig config, Supplier<SigningAuthority> ca) {
    this.reviewer = reviewer;
    this.config = config;
    this.ca = ca;
  }

  /**
   * The caller's SPIFFE identity.
   *
   * @param authorization the {@code authorization} header, or null
   * @param peerChain the verified TLS client certificate chain, leaf first, or empty
   * @throws CaException {@code UNAUTHENTICATED} when no credential proves an identity, {@code
   *     UNAVAILABLE} when the API server cannot review the token
   */
  public String authenticate(String authorization, List<X509Certificate> peerChain)
      throws CaException {
    List<String> failures = new ArrayList<>();
    if (!peerChain.isEmpty()) {
      try {
        return fromCertificate(peerChain);
      } catch (CaException e) {
        failures.add(e.getMessage());
      }
    }
    if (authorization != null && !authorization.isBlank()) {
      String[] parts = authorization.trim().split("\\s+", 2);
      if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer") || parts[1].isBlank()) {
        failures.add("authorization header: expected 'Bearer <token>'");
      } else {
        return fromToken(parts[1].trim());
      }
    }
    if (failures.isEmpty()) {
      failures.add("no client certificate and no authorization header");
    }
    throw unauthenticated("authentication failed: " + String.join("; ", failures));
  }

  private String fromToken(String token) throws CaException {
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(config.audiences())
            .endSpec()
            .build();
    TokenReviewStatus status;
    try {
      TokenReview answer = reviewer.create(review);
      status = answer == null ? null : answer.getStatus();
    } catch (KubernetesClientException e) {
      // I/O errors carry no API status; either way the caller may retry, so not INTERNAL.
      String why =
          e.getStatus() != null && e.getStatus().getMessage() != null
              ? e.getStatus().getMessage()
              : String.valueOf(e.getCause() != null ? e.getCause() : e.getMessage());
      throw new CaException(Status.Code.UNAVAILABLE, "token review failed: " + why);
    }
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String why = status == null || status.getError() == null ? "" : ": " + status.getError();
      throw unauthenticated("token rejected by TokenReview" + why);
    }
    if (status.getAudiences() != null
        && !status.getAudiences().isEmpty()
        && status.getAudiences().stream().noneMatch(config.audiences()::contains)) {
      throw unauthenticated(
          "token audiences " + status.getAudiences() + " do not include " + config.audiences());
    }
    UserInfo user = status.getUser();
    String name = user == null ? null : user.getUsername();
    if (user == null || user.getGroups() == null || !user.getGroups().contains(SA_GROUP)) {
      throw unauthenticated(
          "token is not a service-account token (user " + name + " is not in " + SA_GROUP + ")");
    }
    // Exactly system:serviceaccount:<ns>:<sa>; split with limit -1 keeps trailing empty parts.
    String[] parts = name == null ? new String[0] : name.split(":", -1);
    if (parts.length != 4
        || !(parts[0] + ":" + parts[1]).equals(SA_USER)
        || parts[2].isEmpty()
        || parts[3].isEmpty()) {
      throw unauthenticated(
          "malformed service-account user name " + name + ", expected " + SA_USER + ":<ns>:<sa>");
    }
    return config.spiffeId(parts[2], parts[3]);
  }

  private String fromCertificate(List<X509Certificate> chain) throws CaException {
    SigningAuthority current = ca.get();
    try {
      Set<TrustAnchor> anchors =
          current.roots().stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toSet());
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      List<X509Certificate> path = new ArrayList<>(chain);
      path.removeIf(current.roots()::contains);
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw unauthenticated("client certificate does not verify to this CA: " + e.getMessage());
    }
    List<String> uris = spiffeUris(chain.get(0));
    if (uris.size() != 1) {
      throw unauthenticated(
          "client certificate has " + uris.size() + " SPIFFE URI SANs, expected one");
    }
    return uris.get(0);
  }

  static List<String> spiffeUris(X509Certificate cert) throws CaException {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw unauthenticated("client certificate SAN unreadable: " + e.getMessage());
    }
    if (sans == null) {
      return List.of();
    }
    return sans.stream()
        .filter(san -> Integer.valueOf(6).equals(san.get(0)))
        .map(san -> String.valueOf(san.get(1)))
        .filter(uri -> uri.startsWith("spiffe://"))
        .toList();
  }

  /** {@code certs} as X.509 certificates, dropping anything else. */
  static List<X509Certificate> x509(java.security.cert.Certificate[] certs) {
    return certs == null
        ? List.of()
        : Arrays.stream(certs)
            .filter(X509Certificate.class::isInstance)
            .map(X509Certificate.class::cast)
            .toList();
  }

  private static CaException unauthenticated(String message) {
    return new CaException(Status.Code.UNAUTHENTICATED, message);
  }
}
