package dev.isthmus.controlplane.xds;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Consumer;

/**
 * {@code SerializedObserver} wraps a server response stream so that the discovery server and the
 * control plane's own answers (for type URLs it does not serve) can both write to it, one message
 * at a time, and so every response is seen by the connection's bookkeeping.
 */
final class SerializedObserver<T> extends ServerCallStreamObserver<T> {
  private final ServerCallStreamObserver<T> delegate;
  private final Consumer<T> onSend;
  private final Runnable onClose;
  private boolean done;

  SerializedObserver(ServerCallStreamObserver<T> delegate, Consumer<T> onSend, Runnable onClose) {
    this.delegate = delegate;
    this.onSend = onSend;
    this.onClose = onClose;
  }

  @Override
  public synchronized void onNext(T value) {
    if (done || delegate.isCancelled()) {
      return;
    }
    onSend.accept(value);
    try {
      delegate.onNext(value);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.CANCELLED) {
        throw e;
      }
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (!done) {
      done = true;
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
  public void setOnReadyHandler(Runnable onReadyHandler) {
    delegate.setOnReadyHandler(onReadyHandler);
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
