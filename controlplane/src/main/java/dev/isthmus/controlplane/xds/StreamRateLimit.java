package dev.isthmus.controlplane.xds;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code StreamRateLimit} admits new xDS streams at a steady rate, as istiod's {@code
 * PILOT_MAX_REQUESTS_PER_SECOND}: a stream waits up to one second for its turn, and is refused with
 * {@code RESOURCE_EXHAUSTED} when its turn is further away, so the client backs off and may try
 * another replica. Up to one second's worth of streams may start at once.
 */
public final class StreamRateLimit implements ServerInterceptor {
  static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final long intervalNanos;
  private final long burstNanos;
  private final LongSupplier clock;
  private long nextFree;

  /**
   * @param perSecond streams admitted per second, greater than zero
   */
  public StreamRateLimit(double perSecond) {
    this(perSecond, System::nanoTime);
  }

  StreamRateLimit(double perSecond, LongSupplier clock) {
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("streams per second: expected > 0, got " + perSecond);
    }
    this.intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / perSecond);
    this.burstNanos = TimeUnit.SECONDS.toNanos(1);
    this.clock = clock;
    this.nextFree = clock.getAsLong() - burstNanos;
  }

  /**
   * Reserves a turn.
   *
   * @return nanoseconds to wait before the turn, or -1 when it is more than a second away (nothing
   *     reserved)
   */
  synchronized long reserve() {
    long now = clock.getAsLong();
    // a quiet period saves up at most one second of turns: the last of them starts now
    long start = Math.max(nextFree, now - burstNanos + intervalNanos);
    long wait = Math.max(0, start - now);
    if (wait > MAX_WAIT_NANOS) {
      return -1;
    }
    nextFree = start + intervalNanos;
    return wait;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long wait = reserve();
    if (wait < 0) {
      call.close(
          Status.RESOURCE_EXHAUSTED.withDescription("request rate limit exceeded"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        call.close(Status.CANCELLED.withDescription("shutting down"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    return next.startCall(call, headers);
  }
}
