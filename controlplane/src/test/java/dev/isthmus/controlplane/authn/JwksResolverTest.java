package dev.isthmus.controlplane.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.fabric8.istio.api.api.security.v1beta1.JWTRuleBuilder;
import io.fabric8.istio.api.api.security.v1beta1.RequestAuthenticationBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The resolver against a key server on loopback that rotates keys, fails and comes back. */
class JwksResolverTest {
  /** Short intervals so refreshes happen within a test; waits are bounded, never timed. */
  private static final JwksResolver.Settings FAST =
      new JwksResolver.Settings(
          Duration.ofMillis(200),
          Duration.ofMillis(200),
          Duration.ofMillis(400),
          0,
          Duration.ofMillis(10),
          Duration.ofDays(7));

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private JwksServer server;

  @BeforeEach
  void start() throws IOException {
    server = closeLater(new JwksServer());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @Test
  void theFetchedKeySetIsInlinedIntoTheFilter() {
    JwksResolver resolver = closeLater(new JwksResolver(FAST));

    assertThat(inlinedKeys(resolver, server.certsUrl())).isEqualTo(JwksServer.KEYS_A);
  }

  @Test
  void aServerNeverReachedGivesTheFailClosedKeySet() throws IOException {
    String neverListening;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      neverListening = "http://127.0.0.1:" + s.getLocalPort() + "/certs";
    }
    JwksResolver resolver = closeLater(new JwksResolver(FAST));

    assertThat(inlinedKeys(resolver, neverListening)).isEqualTo(JwksResolver.FAIL_CLOSED_JWKS);
  }

  @Test
  void theFailClosedKeySetIsAPublicKeyOnly() throws IOException {
    JsonNode keys = new ObjectMapper().readTree(JwksResolver.FAIL_CLOSED_JWKS).get("keys");

    assertThat(keys).hasSize(1);
    assertThat(keys.get(0).get("kty").asText()).isEqualTo("RSA");
    // Any private part would let whoever reads it sign tokens that pass while fetches fail.
    for (String privatePart : List.of("d", "p", "q", "dp", "dq", "qi")) {
      assertThat(keys.get(0).has(privatePart)).as(privatePart).isFalse();
    }
  }

  @Test
  void aRotatedKeySetIsPickedUpAfterTheRefreshIntervalAndListenersHear() {
    JwksResolver resolver = closeLater(new JwksResolver(FAST));
    AtomicInteger changes = new AtomicInteger();
    resolver.onChange(changes::incrementAndGet);
    assertThat(resolver.keySet("", server.certsUrl(), TIMEOUT)).isEqualTo(JwksServer.KEYS_A);

    server.serve(JwksServer.KEYS_B);

    awaitTrue(() -> JwksServer.KEYS_B.equals(resolver.keySet("", server.certsUrl(), TIMEOUT)));
    awaitTrue(() -> changes.get() >= 1);
    assertThat(inlinedKeys(resolver, server.certsUrl())).isEqualTo(JwksServer.KEYS_B);
  }

  @ParameterizedTest(name = "server answers {0}")
  @CsvSource({"503", "404", "200 with a body that is not a key set"})
  void afterASuccessFailingRefreshesKeepTheLastGoodKeySet(String failure) {
    JwksResolver resolver = closeLater(new JwksResolver(FAST));
    assertThat(resolver.keySet("", server.certsUrl(), TIMEOUT)).isEqualTo(JwksServer.KEYS_A);
    AtomicInteger changes = new AtomicInteger();
    resolver.onChange(changes::incrementAndGet);

    if (failure.startsWith("200")) {
      server.serve("<html>sign in</html>");
    } else {
      server.fail(Integer.parseInt(failure));
    }
    int before = server.certRequests();
    awaitTrue(() -> server.certRequests() >= before + 3);

    assertThat(resolver.keySet("", server.certsUrl(), TIMEOUT)).isEqualTo(JwksServer.KEYS_A);
    assertThat(changes).hasValue(0);
  }

  @Test
  void aKeySetNeverFetchedIsFetchedInTheBackgroundOnceTheServerAnswers() {
    JwksResolver resolver = closeLater(new JwksResolver(FAST));
    AtomicInteger changes = new AtomicInteger();
    resolver.onChange(changes::incrementAndGet);
    server.fail(503);
    assertThat(resolver.keySet("", server.certsUrl(), TIMEOUT))
        .isEqualTo(JwksResolver.FAIL_CLOSED_JWKS);

    server.serve(JwksServer.KEYS_A);

    awaitTrue(() -> JwksServer.KEYS_A.equals(resolver.keySet("", server.certsUrl(), TIMEOUT)));
    awaitTrue(() -> changes.get() >= 1);
  }

  @Test
  void refreshIntervalShortensAfterAFailureDoublesUpToTheCapAndResetsOnSuccess() {
    // Intervals long enough that only the test's own refreshes run.
    JwksResolver resolver =
        closeLater(
            new JwksResolver(
                new JwksResolver.Settings(
                    Duration.ofMinutes(20),
                    Duration.ofMinutes(1),
                    Duration.ofMinutes(5),
                    0,
                    Duration.ofMillis(10),
                    Duration.ofDays(7))));
    resolver.keySet("", server.certsUrl(), TIMEOUT);
    record Step(boolean serverUp, Duration next) {}
    List<Step> schedule =
        List.of(
            new Step(false, Duration.ofMinutes(1)),
            new Step(false, Duration.ofMinutes(2)),
            new Step(false, Duration.ofMinutes(4)),
            new Step(false, Duration.ofMinutes(5)),
            new Step(false, Duration.ofMinutes(5)),
            new Step(true, Duration.ofMinutes(20)),
            new Step(false, Duration.ofMinutes(1)));

    for (int i = 0; i < schedule.size(); i++) {
      Step step = schedule.get(i);
      if (step.serverUp()) {
        server.serve(JwksServer.KEYS_A);
      } else {
        server.fail(500);
      }
      resolver.refreshOnce();
      assertThat(resolver.nextRefreshDelay()).as("after refresh %d", i).isEqualTo(step.next());
    }
  }

  @Test
  void aKeySetUnusedForTheEvictionPeriodIsDroppedAndFetchedAgainOnNextUse() {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    InstantSource clock = now::get;
    JwksResolver resolver = closeLater(new JwksResolver(JwksResolver.Settings.defaults(), clock));
    resolver.keySet("", server.certsUrl(), TIMEOUT);
    int fetches = server.certRequests();

    now.set(now.get().plus(Duration.ofDays(8)));
    resolver.refreshOnce();
    server.serve(JwksServer.KEYS_B);

    assertThat(server.certRequests()).as("a dropped entry is not refreshed").isEqualTo(fetches);
    assertThat(resolver.keySet("", server.certsUrl(), TIMEOUT)).isEqualTo(JwksServer.KEYS_B);
  }

  static Stream<Arguments> keySetComparisons() {
    String ab = "{\"keys\":[{\"kid\":\"a\",\"n\":\"1\"},{\"kid\":\"b\",\"n\":\"2\"}]}";
    String ba = "{\"keys\":[{\"n\":\"2\",\"kid\":\"b\"},{\"kid\":\"a\",\"n\":\"1\"}]}";
    String ac = "{\"keys\":[{\"kid\":\"a\",\"n\":\"1\"},{\"kid\":\"c\",\"n\":\"3\"}]}";
    return Stream.of(
        Arguments.of("same text", ab, ab, true),
        Arguments.of("keys and fields reordered", ab, ba, true),
        Arguments.of("a key replaced", ab, ac, false),
        Arguments.of("previous set not JSON", "not json", ab, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("keySetComparisons")
  void keySetsCompareByTheirKeysNotTheirText(String name, String a, String b, boolean same) {
    assertThat(JwksFetcher.sameKeys(a, b)).isEqualTo(same);
  }

  @ParameterizedTest(name = "{0} refused: {1}")
  @CsvSource({
    "169.254.169.254, true",
    "fe80::1, true",
    "100.100.100.200, true",
    "fd00:ec2::254, true",
    "127.0.0.1, false",
    "10.0.0.7, false",
    "100.100.100.201, false",
    "fd00:ec3::1, false",
  })
  void metadataAddressesAreRefused(String address, boolean refused) throws IOException {
    assertThat(JwksFetcher.isMetadataAddress(InetAddress.getByName(address))).isEqualTo(refused);
  }

  @Test
  void aRedirectIsNotFollowed() {
    JwksResolver resolver = closeLater(new JwksResolver(FAST));

    assertThat(resolver.keySet("", server.url() + "/moved", TIMEOUT))
        .isEqualTo(JwksResolver.FAIL_CLOSED_JWKS);
  }

  @Test
  void aRuleWithNeitherJwksUriNorIssuerFailsClosed() {
    JwksResolver resolver = closeLater(new JwksResolver(FAST));

    assertThat(resolver.keySet("", "", TIMEOUT)).isEqualTo(JwksResolver.FAIL_CLOSED_JWKS);
  }

  @Test
  void settingsNameTheFieldThatIsWrong() {
    assertThatThrownBy(() -> JwksResolver.Settings.defaults().withRefreshInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("refreshInterval: expected a positive duration, got PT0S");
  }

  private static String inlinedKeys(JwksResolver resolver, String jwksUri) {
    var spec =
        new RequestAuthenticationBuilder()
            .addToJwtRules(
                new JWTRuleBuilder()
                    .withIssuer("https://issuer.example.com")
                    .withJwksUri(jwksUri)
                    .build())
            .build();
    JwtAuthentication config =
        JwtFilterBuilder.config(List.of(new JwtPolicy("foo", "jwt", spec)), resolver, false)
            .orElseThrow();
    return config.getProvidersOrThrow("origins-0").getLocalJwks().getInlineString();
  }

  private static void awaitTrue(BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    toClose.add(0, closeable);
    return closeable;
  }
}
