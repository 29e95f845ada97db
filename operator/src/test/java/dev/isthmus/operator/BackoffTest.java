package dev.isthmus.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackoffTest {
  private final Backoff backoff =
      new Backoff(
          IstioOperatorReconciler.OperatorSettings.defaults().requeueAfter(),
          IstioOperatorReconciler.OperatorSettings.defaults().maxRequeueAfter());

  @ParameterizedTest(name = "failure {0} waits {1} s")
  @CsvSource({
    "1, 5",
    "2, 10",
    "3, 20",
    "4, 40",
    "5, 80",
    "6, 160",
    "7, 300",
    "8, 300",
    "64, 300",
    "2147483647, 300"
  })
  void delayDoublesUpToTheCap(int failures, long seconds) {
    assertThat(backoff.delay(failures)).isEqualTo(Duration.ofSeconds(seconds));
  }

  @Test
  void consecutiveFailuresOfOneIstioOperatorBackOffAndASuccessStartsOver() {
    List<Duration> first = IntStream.range(0, 8).mapToObj(i -> backoff.failed("ns/a")).toList();
    assertThat(first)
        .extracting(Duration::toSeconds)
        .containsExactly(5L, 10L, 20L, 40L, 80L, 160L, 300L, 300L);
    // another IstioOperator's failures are counted apart
    assertThat(backoff.failed("ns/b")).isEqualTo(Duration.ofSeconds(5));
    backoff.succeeded("ns/a");
    assertThat(backoff.failed("ns/a")).isEqualTo(Duration.ofSeconds(5));
    assertThat(backoff.failed("ns/b")).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void anUnreachableApiServerIsToldApartFromARefusal() {
    assertThat(
            Backoff.unreachable(
                new KubernetesClientException(
                    "Operation: [patch]", new java.net.ConnectException("Connection refused"))))
        .isTrue();
    assertThat(Backoff.unreachable(new KubernetesClientException("starting", 503, null))).isTrue();
    assertThat(Backoff.unreachable(new KubernetesClientException("denied by webhook", 400, null)))
        .isFalse();
    assertThat(Backoff.unreachable(new KubernetesClientException("forbidden", 403, null)))
        .isFalse();
    assertThat(Backoff.unreachable(new IllegalStateException("CRD not established"))).isFalse();
  }
}
