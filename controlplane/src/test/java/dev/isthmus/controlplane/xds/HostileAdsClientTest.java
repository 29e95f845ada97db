package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Hostile ADS clients over a real gRPC connection: type URLs chosen to break the metrics exposition
 * or to grow per-stream state, and a client that never reads its responses.
 */
@Tag("hostile")
class HostileAdsClientTest {
  static final Node SIDECAR =
      Fixtures.node("sidecar~10.1.0.9~productpage.default~default.svc.cluster.local", Map.of());
  static final String INJECTED = "injected_metric";

  final AtomicReference<MeshSnapshot> mesh = new AtomicReference<>();
  XdsCache cache;
  IstioPrometheusRegistry prometheus;
  XdsMetrics metrics;
  AdsService ads;
  Server server;
  ManagedChannel channel;

  void start(int maxQueued, int clientWindow) throws Exception {
    mesh.set(Fixtures.build(Fixtures.reviews()));
    cache = new XdsCache(p -> ResourceGenerator.generate(mesh.get(), p));
    prometheus = new IstioPrometheusRegistry();
    metrics = new XdsMetrics(prometheus.registry());
    ads = new AdsService(cache, metrics, maxQueued);
    server =
        io.grpc.Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(ads)
            .build()
            .start();
    NettyChannelBuilder b =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .negotiationType(NegotiationType.PLAINTEXT);
    if (clientWindow > 0) {
      b.flowControlWindow(clientWindow); // also turns off the automatic window tuning
    }
    channel = b.build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aNackedTypeUrlCannotWriteIntoTheMetricsExposition() throws Exception {
    start(AdsService.MAX_QUEUED_RESPONSES, 0);
    String evil = "type.googleapis.com/x\"} 1\n" + INJECTED + "{a=\"b\"} 42\n#";
    AdsProtocolTest.Inbox<DiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DiscoveryRequest> out = AdsProtocolTest.openSotw(channel, in, SIDECAR, evil);
    DiscoveryResponse empty = in.next();
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(evil)
            .setResponseNonce(empty.getNonce())
            .setErrorDetail(Status.newBuilder().setMessage("no"))
            .build());
    awaitRejects("other", 1);
    String exposition = prometheus.scrape();
    assertThat(exposition.lines())
        .as("no line of the exposition comes from the client")
        .noneMatch(l -> l.startsWith(INJECTED))
        .contains("pilot_total_xds_rejects{type=\"other\"} 1.0");
    out.onCompleted();
  }

  @Test
  void inventedTypeUrlsDoNotGrowAStreamsState() throws Exception {
    start(AdsService.MAX_QUEUED_RESPONSES, 0);
    AdsProtocolTest.Inbox<DiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DiscoveryRequest> out =
        AdsProtocolTest.openSotw(channel, in, SIDECAR, Resources.V3.CLUSTER_TYPE_URL);
    in.next();
    for (int i = 0; i < 300; i++) {
      out.onNext(DiscoveryRequest.newBuilder().setTypeUrl("type.googleapis.com/t" + i).build());
    }
    for (int i = 0; i < 300; i++) {
      in.next();
    }
    assertThat(ads.connections()).hasSize(1);
    @SuppressWarnings("unchecked")
    Map<String, Object> types =
        (Map<String, Object>) ads.connections().iterator().next().toMap().get("types");
    assertThat(types.keySet())
        .as("one entry per label of a closed set")
        .containsOnly("cds", "other");
    out.onCompleted();
  }

  @Test
  void aClientThatNeverReadsIsDisconnectedInsteadOfBufferedWithoutBound() throws Exception {
    start(8, 65535);
    AtomicReference<ClientCallStreamObserver<DiscoveryRequest>> requests = new AtomicReference<>();
    ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> neverReads =
        new ClientResponseObserver<>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
            stream.disableAutoRequestWithInitial(0);
            requests.set(stream);
          }

          @Override
          public void onNext(DiscoveryResponse value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        };
    StreamObserver<DiscoveryRequest> out =
        AdsProtocolTest.openSotw(channel, neverReads, SIDECAR, Resources.V3.CLUSTER_TYPE_URL);
    long connected = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ads.connections().stream().noneMatch(c -> c.proxy() != null)
        && System.nanoTime() < connected) {
      Thread.sleep(20);
    }
    assertThat(ads.connections()).as("the stream is open").hasSize(1);
    // each answer to an unserved type echoes its (long) type URL: far more than the transport
    // buffers for a client that reads nothing
    String pad = "p".repeat(2000);
    for (int i = 0; i < 200; i++) {
      out.onNext(
          DiscoveryRequest.newBuilder().setTypeUrl("type.googleapis.com/" + pad + i).build());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!ads.connections().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(ads.connections())
        .as("the stream of a client that reads nothing is ended once its queue is full")
        .isEmpty();
  }

  private void awaitRejects(String label, long n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (metrics.rejects(label) < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(metrics.rejects(label)).isEqualTo(n);
  }
}
