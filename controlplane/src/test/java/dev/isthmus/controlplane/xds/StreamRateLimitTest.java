package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** New xDS streams are admitted at a steady rate, on a clock the test moves. */
@Tag("hostile")
class StreamRateLimitTest {
  static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void oneSecondOfStreamsStartsAtOnceTheNextSecondWaitsAndTheRestIsRefused() {
    AtomicLong now = new AtomicLong(1_000_000 * MS);
    StreamRateLimit limit = new StreamRateLimit(10, now::get);
    for (int i = 0; i < 10; i++) {
      assertThat(limit.reserve()).as("burst stream %d", i).isZero();
    }
    for (int i = 1; i <= 10; i++) {
      assertThat(limit.reserve()).as("queued stream %d", i).isEqualTo(i * 100 * MS);
    }
    assertThat(limit.reserve()).as("more than a second away").isEqualTo(-1);
    assertThat(limit.reserve()).as("a refusal reserves nothing").isEqualTo(-1);
    now.addAndGet(1000 * MS);
    assertThat(limit.reserve()).as("after a second, turns are free again").isEqualTo(100 * MS);
  }

  @Test
  void aQuietPeriodRefillsAtMostOneSecondOfBurst() {
    AtomicLong now = new AtomicLong(0);
    StreamRateLimit limit = new StreamRateLimit(5, now::get);
    now.addAndGet(TimeUnit.HOURS.toNanos(1));
    for (int i = 0; i < 5; i++) {
      assertThat(limit.reserve()).isZero();
    }
    assertThat(limit.reserve()).isEqualTo(200 * MS);
  }

  @Test
  void aRateMustBePositive() {
    assertThatThrownBy(() -> new StreamRateLimit(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected > 0");
  }
}
