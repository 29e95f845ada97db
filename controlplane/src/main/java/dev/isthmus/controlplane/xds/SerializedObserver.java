package dev.isthmus.controlplane.xds;

import com.google.protobuf.MessageLite;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;

/**
 * {@code SerializedObserver} wraps a server response stream so that the discovery server and the
 * control plane's own answers (for type URLs it does not serve) can both write to it, one message
 * at a time, and so every response is seen by the connection's bookkeeping.
 *
 * <p>It respects gRPC flow control: while the transport is not ready (the client is not reading),
 * responses wait in a queue drained when it becomes ready again, and a stream whose queue exceeds
 * {@code maxQueued} responses is ended with {@code RESOURCE_EXHAUSTED} instead of buffering without
 * bound. Such a client reconnects and starts from a fresh state, as after istiod's send timeout.
 *
 * <p>The bytes it hands to the transport count against the server's {@link SendBudget} until the
 * transport reports the stream ready again (its client took them): a response that does not fit
 * waits, queued, until another stream's bytes drain.
 */
final class SerializedObserver<T> extends ServerCallStreamObserver<T> {
  private final ServerCallStreamObserver<T> delegate;
  private final Consumer<T> onSend;
  private final Runnable onClose;
  private final int maxQueued;
  private final SendBudget budget;
  private final ArrayDeque<T> queued = new ArrayDeque<>();
  private final Runnable retry = this::retry;
  private Runnable userOnReady = () -> {};
  private boolean done;

  /** Bytes of this stream taken from the budget and not yet known to be drained. */
  private long inFlight;

  SerializedObserver(
      ServerCallStreamObserver<T> delegate,
      Consumer<T> onSend,
      Runnable onClose,
      int maxQueued,
      SendBudget budget) {
    this.delegate = delegate;
    this.onSend = onSend;
    this.onClose = onClose;
    this.maxQueued = maxQueued;
    this.budget = budget;
    delegate.setOnReadyHandler(this::ready);
  }

  private void ready() {
    Runnable user;
    List<Runnable> wake;
    synchronized (this) {
      wake = budget.release(takeDrained());
      drain();
      user = userOnReady;
    }
    wakeUp(wake);
    user.run();
  }

  /** Another stream gave bytes back: try the queued responses again. */
  private void retry() {
    List<Runnable> wake;
    synchronized (this) {
      drain();
      wake = budget.release(takeDrained());
    }
    wakeUp(wake);
  }

  /** Waiting streams retry on another thread: no stream lock is held, and no call chain grows. */
  private static void wakeUp(List<Runnable> wake) {
    wake.forEach(ForkJoinPool.commonPool()::execute);
  }

  /** The bytes this stream may give back: all of them once it is ready again, or closed. */
  private long takeDrained() {
    if (inFlight > 0 && (done || delegate.isCancelled() || delegate.isReady())) {
      long d = inFlight;
      inFlight = 0;
      return d;
    }
    return 0;
  }

  /** Sends queued responses while the transport and the budget take them. */
  private void drain() {
    while (!done && !queued.isEmpty() && delegate.isReady()) {
      if (!send(queued.peek())) {
        budget.await(retry);
        return;
      }
      queued.poll();
    }
  }

  /** Sends when the budget has room for the response; false (nothing sent) otherwise. */
  private boolean send(T value) {
    long size = value instanceof MessageLite m ? m.getSerializedSize() : 0;
    if (!budget.tryAcquire(size)) {
      return false;
    }
    inFlight += size;
    onSend.accept(value);
    try {
      delegate.onNext(value);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.CANCELLED) {
        throw e;
      }
    }
    return true;
  }

  /** Responses waiting for the client to read. */
  synchronized int queued() {
    return queued.size();
  }

  @Override
  public void onNext(T value) {
    List<Runnable> wake;
    synchronized (this) {
      if (done || delegate.isCancelled()) {
        return;
      }
      drain();
      if (!(queued.isEmpty() && delegate.isReady() && send(value))) {
        queued.add(value);
        if (!delegate.isReady() && queued.size() > maxQueued) {
          // the client is not reading (a wait for the budget is not the client's doing)
          queued.clear();
          onError(
              Status.RESOURCE_EXHAUSTED
                  .withDescription(
                      "the client has not read "
                          + maxQueued
                          + " responses; closing the stream, reconnect to resynchronise")
                  .asRuntimeException());
        } else if (delegate.isReady()) {
          budget.await(retry);
        }
      }
      wake = budget.release(takeDrained());
    }
    wakeUp(wake);
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (!done) {
      done = true;
      queued.clear();
      wakeUp(budget.release(takeDrained()));
      onClose.run();
      try {
        delegate.onError(t);
      } catch (IllegalStateException | StatusRuntimeException e) {
        // stream already closed by the peer
      }
    }
  }

  @Override
  public synchronized void onCompleted() {
    if (!done) {
      done = true;
      queued.clear();
      wakeUp(budget.release(takeDrained()));
      onClose.run();
      try {
        delegate.onCompleted();
      } catch (IllegalStateException | StatusRuntimeException e) {
        // stream already closed by the peer
      }
    }
  }

  @Override
  public boolean isCancelled() {
    return delegate.isCancelled();
  }

  @Override
  public void setOnCancelHandler(Runnable onCancelHandler) {
    delegate.setOnCancelHandler(
        () -> {
          List<Runnable> wake;
          synchronized (this) {
            done = true;
            queued.clear();
            wake = budget.release(takeDrained());
          }
          wakeUp(wake);
          onClose.run();
          onCancelHandler.run();
        });
  }

  @Override
  public void setCompression(String compression) {
    delegate.setCompression(compression);
  }

  @Override
  public boolean isReady() {
    return delegate.isReady();
  }

  @Override
  public synchronized void setOnReadyHandler(Runnable onReadyHandler) {
    userOnReady = onReadyHandler;
  }

  @Override
  public void request(int count) {
    delegate.request(count);
  }

  @Override
  public void setMessageCompression(boolean enable) {
    delegate.setMessageCompression(enable);
  }

  @Override
  public void disableAutoInboundFlowControl() {
    delegate.disableAutoInboundFlowControl();
  }
}
