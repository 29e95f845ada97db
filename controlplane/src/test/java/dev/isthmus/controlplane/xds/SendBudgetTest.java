package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Responses of all streams share a byte budget until their clients take them. */
class SendBudgetTest {
  /** A transport whose buffer is full after every response until its client reads. */
  static final class Transport extends ServerCallStreamObserver<DiscoveryResponse> {
    final List<DiscoveryResponse> sent = new CopyOnWriteArrayList<>();
    volatile boolean ready = true;
    Runnable onReady = () -> {};

    /** The client reads everything: the transport is ready again and says so. */
    void clientReads() {
      ready = true;
      onReady.run();
    }

    @Override
    public void onNext(DiscoveryResponse value) {
      sent.add(value);
      ready = false;
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
      onReady = onReadyHandler;
    }

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void disableAutoInboundFlowControl() {}
  }

  static DiscoveryResponse response(int bytes) {
    return DiscoveryResponse.newBuilder().setVersionInfo("v".repeat(bytes - 2)).build();
  }

  static SerializedObserver<DiscoveryResponse> stream(Transport t, SendBudget budget) {
    return new SerializedObserver<>(t, r -> {}, () -> {}, 64, budget);
  }

  static void awaitSent(Transport t, int n) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (t.sent.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(t.sent).hasSize(n);
  }

  @Test
  void aResponseThatDoesNotFitWaitsForAnotherStreamsBytesToDrain() throws Exception {
    SendBudget budget = new SendBudget(150);
    Transport a = new Transport();
    Transport b = new Transport();
    var sa = stream(a, budget);
    var sb = stream(b, budget);
    sa.onNext(response(100));
    assertThat(response(100).getSerializedSize()).isEqualTo(100);
    assertThat(a.sent).hasSize(1);
    assertThat(budget.inFlight()).isEqualTo(100);

    sb.onNext(response(100));
    assertThat(b.sent).as("100 + 100 bytes exceed the budget of 150").isEmpty();
    assertThat(sb.queued()).isEqualTo(1);

    a.clientReads();
    awaitSent(b, 1);
    assertThat(budget.inFlight()).isEqualTo(100);
    b.clientReads();
    assertThat(budget.inFlight()).isZero();
  }

  @Test
  void aResponseLargerThanTheBudgetGoesWhenNothingIsInFlight() {
    SendBudget budget = new SendBudget(50);
    Transport a = new Transport();
    stream(a, budget).onNext(response(100));
    assertThat(a.sent).hasSize(1);
  }

  @Test
  void aClosedStreamGivesItsBytesBack() throws Exception {
    SendBudget budget = new SendBudget(150);
    Transport a = new Transport();
    Transport b = new Transport();
    var sa = stream(a, budget);
    var sb = stream(b, budget);
    sa.onNext(response(100));
    sb.onNext(response(100));
    sa.onError(new RuntimeException("gone"));
    awaitSent(b, 1);
  }
}
