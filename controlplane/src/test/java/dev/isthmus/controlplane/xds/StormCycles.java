package dev.isthmus.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code StormCycles} opens one ADS stream and ends it in one of the ways a client can: cycle
 * {@code n} is kind {@code n % KINDS}. Each cycle returns once its stream is over from the client's
 * side; what went differently than planned is collected in {@link #failures()}.
 */
final class StormCycles {
  static final int KINDS = 10;
  static final String CLUSTER = "outbound|8080||svc0.sim-a.svc.cluster.local";

  private final int port;
  private final ManagedChannel shared;
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

  StormCycles(int port, ManagedChannel shared) {
    this.port = port;
    this.shared = shared;
  }

  List<String> failures() {
    return List.copyOf(failures);
  }

  void run(int n) {
    try {
      switch (n % KINDS) {
        case 0 -> cleanHalfClose(n);
        case 1 -> cancelMidRequest(n);
        case 2 -> cancelBeforeFirstRequest();
        case 3 -> channelShutdownNow(n);
        case 4 -> nackThenCancel(n);
        case 5 -> deltaUnsubscribeThenCancel(n);
        case 6 -> nameTableThenHalfClose(n);
        case 7 -> sameNodeTwiceThenCancel(n);
        case 8 -> deltaUnknownNonceThenHalfClose(n);
        default -> malformedNode();
      }
    } catch (Exception | AssertionError e) {
      failures.add("cycle " + n + ": " + e);
    }
  }

  /** A client's view of one stream. */
  static final class Call<Q, R> implements ClientResponseObserver<Q, R> {
    final BlockingQueue<R> responses = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> ended = new CompletableFuture<>();
    ClientCallStreamObserver<Q> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> r) {
      this.requests = r;
    }

    @Override
    public void onNext(R r) {
      responses.add(r);
    }

    @Override
    public void onError(Throwable t) {
      ended.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended.complete(Status.OK);
    }

    R next() throws InterruptedException {
      R r = responses.poll(10, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("no response within 10 s, stream ended: " + ended.getNow(null));
      }
      return r;
    }

    Status end() throws Exception {
      return ended.get(10, TimeUnit.SECONDS);
    }

    void cancel() {
      requests.cancel("client went away", null);
    }
  }

  private static Call<DiscoveryRequest, DiscoveryResponse> sotw(ManagedChannel ch) {
    Call<DiscoveryRequest, DiscoveryResponse> c = new Call<>();
    AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(c);
    return c;
  }

  private Call<DiscoveryRequest, DiscoveryResponse> sotw() {
    return sotw(shared);
  }

  private Call<DeltaDiscoveryRequest, DeltaDiscoveryResponse> delta() {
    Call<DeltaDiscoveryRequest, DeltaDiscoveryResponse> c = new Call<>();
    AggregatedDiscoveryServiceGrpc.newStub(shared).deltaAggregatedResources(c);
    return c;
  }

  static DiscoveryRequest ask(Node node, String type, String version, String nonce) {
    DiscoveryRequest.Builder b =
        DiscoveryRequest.newBuilder()
            .setTypeUrl(type)
            .setVersionInfo(version)
            .setResponseNonce(nonce);
    if (node != null) {
      b.setNode(node);
    }
    return b.build();
  }

  private void cleanHalfClose(int n) throws Exception {
    var c = sotw();
    c.requests.onNext(ask(SimFleet.sidecar(n), SimProxy.CDS, "", ""));
    DiscoveryResponse r = c.next();
    c.requests.onNext(ask(null, SimProxy.CDS, r.getVersionInfo(), r.getNonce()));
    c.requests.onCompleted();
    expect(c.end(), Status.Code.OK);
  }

  private void cancelMidRequest(int n) {
    var c = sotw();
    c.requests.onNext(ask(SimFleet.sidecar(n), SimProxy.CDS, "", ""));
    c.requests.onNext(ask(null, SimProxy.LDS, "", ""));
    c.cancel();
  }

  private void cancelBeforeFirstRequest() throws InterruptedException {
    var c = sotw();
    Thread.sleep(ThreadLocalRandom.current().nextInt(3));
    c.cancel();
  }

  /** On a connection of its own, which is torn down under the stream. */
  private void channelShutdownNow(int n) throws Exception {
    ManagedChannel own = SimFleet.channel(port);
    try {
      var c = sotw(own);
      c.requests.onNext(ask(SimFleet.sidecar(n), SimProxy.CDS, "", ""));
      c.requests.onNext(ask(null, SimProxy.LDS, "", ""));
      c.next();
    } finally {
      own.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private void nackThenCancel(int n) throws Exception {
    var c = sotw();
    c.requests.onNext(ask(SimFleet.sidecar(n), SimProxy.CDS, "", ""));
    DiscoveryResponse r = c.next();
    c.requests.onNext(
        ask(null, SimProxy.CDS, "", r.getNonce()).toBuilder()
            .setErrorDetail(XdsStormIT.nack("cluster rejected"))
            .build());
    c.cancel();
  }

  private void deltaUnsubscribeThenCancel(int n) throws Exception {
    var c = delta();
    c.requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(SimFleet.sidecar(n))
            .setTypeUrl(SimProxy.EDS)
            .addResourceNamesSubscribe(CLUSTER)
            .build());
    DeltaDiscoveryResponse r = c.next();
    c.requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(SimProxy.EDS)
            .setResponseNonce(r.getNonce())
            .build());
    c.requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(SimProxy.EDS)
            .addResourceNamesUnsubscribe(CLUSTER)
            .build());
    c.cancel();
  }

  /** Istio's name table (answered by the control plane itself) and a type it does not serve. */
  private void nameTableThenHalfClose(int n) throws Exception {
    var c = sotw();
    Node node =
        SimFleet.sidecar(n).toBuilder()
            .setMetadata(Fixtures.node("x", XdsStormIT.dnsCapture()).getMetadata())
            .build();
    c.requests.onNext(ask(node, NameTableGenerator.TYPE_URL, "", ""));
    c.requests.onNext(ask(null, "type.googleapis.com/istio.mesh.v1alpha1.ProxyConfig", "", ""));
    c.next();
    c.requests.onCompleted();
    expect(c.end(), Status.Code.OK);
  }

  /** Two streams claiming one node id at once. */
  private void sameNodeTwiceThenCancel(int n) throws Exception {
    var a = sotw();
    var b = sotw();
    a.requests.onNext(ask(SimFleet.sidecar(n), SimProxy.LDS, "", ""));
    b.requests.onNext(ask(SimFleet.sidecar(n), SimProxy.LDS, "", ""));
    a.next();
    b.next();
    a.cancel();
    b.requests.onCompleted();
    expect(b.end(), Status.Code.OK);
  }

  /**
   * An ACK of a nonce this stream never sent: a confused client, or one that kept it across
   * reconnects.
   */
  private void deltaUnknownNonceThenHalfClose(int n) throws Exception {
    var c = delta();
    c.requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(SimFleet.sidecar(n))
            .setTypeUrl(SimProxy.CDS)
            .build());
    c.next();
    c.requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(SimProxy.CDS)
            .setResponseNonce("nonce-from-another-stream")
            .build());
    // the stream is still served
    c.requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(SimProxy.EDS)
            .addResourceNamesSubscribe(CLUSTER)
            .build());
    c.next();
    c.requests.onCompleted();
    expect(c.end(), Status.Code.OK);
  }

  private void malformedNode() throws Exception {
    var c = sotw();
    c.requests.onNext(ask(Node.newBuilder().setId("not-a-proxy-id").build(), SimProxy.CDS, "", ""));
    expect(c.end(), Status.Code.INVALID_ARGUMENT);
  }

  private static void expect(Status s, Status.Code code) {
    if (s.getCode() != code) {
      throw new AssertionError("stream ended with " + s + ", expected " + code);
    }
  }
}
