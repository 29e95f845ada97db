package dev.isthmus.controlplane.xds;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
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
 */
final class SerializedObserver<T> extends ServerCallStreamObserver<T> {
  private final ServerCallStreamObserver<T> delegate;
  private final Consumer<T> onSend;
  private final Runnable onClose;
  private final int maxQueued;
  private final ArrayDeque<T> queued = new ArrayDeque<>();
  private Runnable userOnReady = () -> {};
  private boolean done;

  SerializedObserver(
      ServerCallStreamObserver<T> delegate, Consumer<T> onSend, Runnable onClose, int maxQueued) {
    this.delegate = delegate;
    this.onSend = onSend;
    this.onClose = onClose;
    this.maxQueued = maxQueued;
    delegate.setOnReadyHandler(this::ready);
  }

  private void ready() {
    Runnable user;
    synchronized (this) {
      drain();
      user = userOnReady;
    }
    user.run();
  }

  /** Sends queued responses while the transport takes them. */
  private void drain() {
    while (!done && !queued.isEmpty() && delegate.isReady()) {
      send(queued.poll());
    }
  }

  private void send(T value) {
    onSend.accept(value);
    try {
      delegate.onNext(value);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.CANCELLED) {
        throw e;
      }
    }
  }

  /** Responses waiting for the client to read. */
  synchronized int queued() {
    return queued.size();
  }

  @Override
  public synchronized void onNext(T value) {
    if (done || delegate.isCancelled()) {
      return;
    }
    drain();
    if (queued.isEmpty() && delegate.isReady()) {
      send(value);
      return;
    }
    queued.add(value);
    if (queued.size() > maxQueued) {
      queued.clear();
      onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  "the client has not read "
                      + maxQueued
                      + " responses; closing the stream, reconnect to resynchronise")
              .asRuntimeException());
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (!done) {
      done = true;
      queued.clear();
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
