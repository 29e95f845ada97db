package dev.isthmus.controlplane.xds;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code StreamRateLimit} admits new xDS streams at a steady rate, as istiod's {@code
 * PILOT_MAX_REQUESTS_PER_SECOND}: a stream waits up to one second for its turn, and is refused with
 * {@code RESOURCE_EXHAUSTED} when its turn is further away, so the client backs off and may try
 * another replica. Up to one second's worth of streams may start at once.
 *
 * <p>A waiting stream holds no thread: its start is scheduled on one timer, so a reconnect storm of
 * thousands of proxies costs the server a queue of timers rather than a sleeping thread for each
 * stream of the next second.
 */
public final class StreamRateLimit implements ServerInterceptor, AutoCloseable {
  static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final long intervalNanos;
  private final long burstNanos;
  private final LongSupplier clock;
  private long nextFree;
  private final AtomicLong admitted = new AtomicLong();
  private final AtomicLong delayed = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "xds-stream-admission");
            t.setDaemon(true);
            return t;
          });

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

  /** Streams let through so far, counted when they start. */
  public long admitted() {
    return admitted.get();
  }

  /** Streams that waited for their turn before they started. */
  public long delayed() {
    return delayed.get();
  }

  /** Streams refused with {@code RESOURCE_EXHAUSTED}. */
  public long refused() {
    return refused.get();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long wait = reserve();
    if (wait < 0) {
      refused.incrementAndGet();
      call.close(
          Status.RESOURCE_EXHAUSTED.withDescription("request rate limit exceeded"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (wait == 0) {
      admitted.incrementAndGet();
      return next.startCall(call, headers);
    }
    delayed.incrementAndGet();
    // the call's context (its cancellation, what earlier interceptors put there) goes along
    Context context = Context.current();
    DelayedStart<Q> start =
        new DelayedStart<>(
            () -> {
              Context previous = context.attach();
              try {
                return next.startCall(call, headers);
              } catch (RuntimeException e) {
                // on the timer's thread nobody else would end the call
                call.close(Status.INTERNAL.withDescription("stream start failed"), new Metadata());
                return new ServerCall.Listener<>() {};
              } finally {
                context.detach(previous);
              }
            });
    try {
      timer.schedule(start::start, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      call.close(Status.UNAVAILABLE.withDescription("shutting down"), new Metadata());
    }
    return start;
  }

  /** Stops the timer; streams still waiting are ended by the server's shutdown. */
  @Override
  public void close() {
    timer.shutdownNow();
  }

  /**
   * The listener of a stream waiting for its turn. Until the stream starts it has asked for no
   * message, so only its end (cancel, complete), half-close and readiness can come, and are passed
   * on once it started; a stream cancelled while waiting never starts.
   */
  private final class DelayedStart<Q> extends ServerCall.Listener<Q> {
    private final Supplier<ServerCall.Listener<Q>> starter;
    private ServerCall.Listener<Q> delegate;
    private boolean ended;
    private boolean halfClosed;

    DelayedStart(Supplier<ServerCall.Listener<Q>> starter) {
      this.starter = starter;
    }

    synchronized void start() {
      if (ended) {
        return;
      }
      admitted.incrementAndGet();
      delegate = starter.get();
      if (halfClosed) {
        delegate.onHalfClose();
      }
      delegate.onReady();
    }

    @Override
    public synchronized void onMessage(Q message) {
      delegate.onMessage(message);
    }

    @Override
    public synchronized void onHalfClose() {
      if (delegate == null) {
        halfClosed = true;
      } else {
        delegate.onHalfClose();
      }
    }

    @Override
    public synchronized void onCancel() {
      ended = true;
      if (delegate != null) {
        delegate.onCancel();
      }
    }

    @Override
    public synchronized void onComplete() {
      ended = true;
      if (delegate != null) {
        delegate.onComplete();
      }
    }

    @Override
    public synchronized void onReady() {
      if (delegate != null) {
        delegate.onReady();
      }
    }
  }
}
