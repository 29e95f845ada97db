package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.Status;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Token authentication against answers a hostile or broken cluster can give. A real API server only
 * ever reviews service-account tokens as well-formed service-account users, so the odd answers come
 * from a stubbed TokenReview; the unreachable API server is a real client on a closed port.
 */
@Tag("hostile")
class HostileTokenReviewTest {
  private static final CaConfig CONFIG = CaConfig.defaults("istio-system");
  private static final SigningAuthority CA = CaFixtures.selfSigned(KeyType.ECDSA_P256);
  private static final List<String> SA_GROUPS =
      List.of("system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated");

  /** A stub standing in for the API server: every review answers with {@code user}. */
  private static CallerAuthenticator stubbedReview(String user, List<String> groups) {
    return CallerAuthenticator.reviewedBy(
        review ->
            new TokenReviewBuilder(review)
                .withNewStatus()
                .withAuthenticated(true)
                .withAudiences(CONFIG.audiences())
                .withNewUser()
                .withUsername(user)
                .withGroups(groups)
                .endUser()
                .endStatus()
                .build(),
        CONFIG,
        () -> CA);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void unreachableApiServerIsUnavailableNotInternal() throws Exception {
    try (KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("https://127.0.0.1:" + closedPort())
                    .withRequestRetryBackoffLimit(0)
                    .withConnectionTimeout(2_000)
                    .withRequestTimeout(2_000)
                    .build())
            .build()) {
      CallerAuthenticator authenticator = new CallerAuthenticator(client, CONFIG, () -> CA);
      assertThatThrownBy(() -> authenticator.authenticate("Bearer some.jwt.token", List.of()))
          .isInstanceOfSatisfying(
              CaException.class,
              e -> assertThat(e.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE))
          .hasMessageStartingWith("token review failed: ");
    }
  }

  @Test
  void reviewerFailureWithoutApiStatusIsUnavailable() {
    CallerAuthenticator authenticator =
        CallerAuthenticator.reviewedBy(
            (TokenReview review) -> {
              throw new io.fabric8.kubernetes.client.KubernetesClientException(
                  "connection reset", new IOException("connection reset"));
            },
            CONFIG,
            () -> CA);
    assertThatThrownBy(() -> authenticator.authenticate("Bearer t", List.of()))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> assertThat(e.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void authenticatedUserOutsideTheServiceAccountGroupIsRefused() {
    // A user named like a service account, but authenticated by something else (static token,
    // OIDC, webhook): the API server does not put it in system:serviceaccounts.
    CallerAuthenticator authenticator =
        stubbedReview("system:serviceaccount:default:sleep", List.of("system:authenticated"));
    assertThatThrownBy(() -> authenticator.authenticate("Bearer t", List.of()))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> assertThat(e.status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED))
        .hasMessageContaining("not in system:serviceaccounts");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "system:serviceaccount:ns",
        "system:serviceaccount:ns:sa:extra",
        "system:serviceaccount::sa",
        "system:serviceaccount:ns:",
        "system:serviceaccount:ns:sa:",
        "system:serviceaccounts:ns:sa",
        "system:node:ns:sa",
        "system:serviceaccount:ns:sa::"
      })
  void malformedServiceAccountUserNamesAreRefused(String user) {
    CallerAuthenticator authenticator = stubbedReview(user, SA_GROUPS);
    assertThatThrownBy(() -> authenticator.authenticate("Bearer t", List.of()))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> assertThat(e.status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED))
        .hasMessageStartingWith("malformed service-account user name " + user);
  }

  @Test
  void wellFormedServiceAccountIsTheSpiffeIdentity() throws Exception {
    assertThat(
            stubbedReview("system:serviceaccount:default:sleep", SA_GROUPS)
                .authenticate("Bearer t", List.of()))
        .isEqualTo("spiffe://cluster.local/ns/default/sa/sleep");
  }
}
