package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * New xDS streams are admitted at a steady rate, on a clock the test moves; a stream waits for its
 * turn without a thread and does not start when its client gave up meanwhile.
 */
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
  void aStreamCancelledWhileWaitingForItsTurnNeverStartsAndAWaitingOneStartsInItsTurn()
      throws Exception {
    AtomicLong now = new AtomicLong(0);
    // one stream per 300 ms, on a clock that stands still: after the burst, the next turns are
    // 300 and 600 ms away in real time, on the limit's timer
    StreamRateLimit limit = new StreamRateLimit(10.0 / 3, now::get);
    List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    ServerCallHandler<String, String> handler =
        (call, headers) -> {
          started.add(((NamedCall) call).name);
          return new ServerCall.Listener<>() {};
        };
    try {
      for (int i = 0; i < 3; i++) {
        limit.interceptCall(new NamedCall("burst-" + i), new Metadata(), handler);
      }
      assertThat(started).containsExactly("burst-0", "burst-1", "burst-2");
      ServerCall.Listener<String> kept =
          limit.interceptCall(new NamedCall("waits"), new Metadata(), handler);
      ServerCall.Listener<String> cancelled =
          limit.interceptCall(new NamedCall("gives-up"), new Metadata(), handler);
      assertThat(limit.delayed()).isEqualTo(2);
      cancelled.onCancel(); // the client went away before its turn
      kept.onHalfClose(); // passed on once it starts
      Thread.sleep(1_500); // past both turns
      assertThat(started).containsExactly("burst-0", "burst-1", "burst-2", "waits");
      assertThat(limit.admitted()).isEqualTo(4);
    } finally {
      limit.close();
    }
  }

  /**
   * A server call that only carries a name: the limit never talks to the client of a started one.
   */
  static final class NamedCall extends ServerCall<String, String> {
    final String name;

    NamedCall(String name) {
      this.name = name;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(String message) {}

    @Override
    public void close(io.grpc.Status status, Metadata trailers) {
      throw new AssertionError(name + " closed with " + status);
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public io.grpc.MethodDescriptor<String, String> getMethodDescriptor() {
      return null;
    }
  }

  @Test
  void aRateMustBePositive() {
    assertThatThrownBy(() -> new StreamRateLimit(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected > 0");
  }
}
