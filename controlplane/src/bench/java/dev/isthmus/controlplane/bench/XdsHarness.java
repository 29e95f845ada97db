package dev.isthmus.controlplane.bench;

import dev.isthmus.controlplane.discovery.MeshIndex;
import dev.isthmus.controlplane.discovery.MeshModelBuilder;
import dev.isthmus.controlplane.xds.AdsService;
import dev.isthmus.controlplane.xds.PushController;
import dev.isthmus.controlplane.xds.XdsCache;
import dev.isthmus.controlplane.xds.XdsMetrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code XdsHarness} runs the xDS server the way {@code ControlPlane} wires it (incremental model,
 * push controller with debounce, cache, ADS service on a real gRPC server on loopback) without the
 * Kubernetes informers: benchmark code feeds objects to the model directly. Simulated clients
 * connect over real gRPC, several streams per channel.
 */
final class XdsHarness implements AutoCloseable {
  static final int STREAMS_PER_CHANNEL = 20;

  final MeshIndex index;
  final PushController pushes;
  final XdsCache cache;
  final Server server;
  final List<ManagedChannel> channels = new ArrayList<>();
  final List<AdsClient> clients = new ArrayList<>();
  private final Map<AdsClient, Set<String>> synced = new ConcurrentHashMap<>();
  private volatile CountDownLatch initial;
  private volatile Round round;

  private record Round(int id, String type, CountDownLatch done, Map<AdsClient, Integer> seen) {}

  XdsHarness(int services, int endpoints, Duration quiet) throws IOException {
    index = new MeshIndex(new MeshModelBuilder("cluster.local", "istio-system", (k, r) -> {}));
    for (int i = 0; i < services; i++) {
      index.upsert(BenchMesh.service(i));
      index.upsert(BenchMesh.slice(i, endpoints));
    }
    PushController[] ref = new PushController[1];
    cache = new XdsCache(p -> ref[0].generate(p));
    pushes = new PushController(index::snapshot, cache, new XdsMetrics(new SimpleMeterRegistry()), quiet, Duration.ofSeconds(10));
    ref[0] = pushes;
    pushes.initialize();
    AdsService ads = new AdsService(cache, new XdsMetrics(new SimpleMeterRegistry()));
    server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(ServerInterceptors.intercept(ads, AdsService.peerInterceptor()))
            .build()
            .start();
  }

  /** Connects simulated sidecars and waits until each has ACKed CDS, EDS, LDS and RDS once. */
  void connect(int n, Duration timeout) throws InterruptedException {
    initial = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      if (i % STREAMS_PER_CHANNEL == 0) {
        channels.add(
            Grpc.newChannelBuilderForAddress(
                    "127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
                .maxInboundMessageSize(256 << 20)
                .build());
      }
      AdsClient c = new AdsClient(BenchMesh.sidecar(i), this::newVersion);
      clients.add(c);
      c.start(channels.get(channels.size() - 1));
    }
    if (!initial.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          initial.getCount() + " of " + n + " clients did not sync: " + firstFailure());
    }
  }

  private String firstFailure() {
    return clients.stream()
        .map(AdsClient::failure)
        .filter(f -> f != null)
        .map(Throwable::toString)
        .findFirst()
        .orElse("no stream error");
  }

  private void newVersion(AdsClient c, String type) {
    Set<String> types = synced.computeIfAbsent(c, k -> new HashSet<>());
    if (types.size() < 4 && types.add(type) && types.size() == 4) {
      initial.countDown();
    }
    Round r = round;
    if (r != null && r.type().equals(type) && r.seen().put(c, r.id()) == null) {
      r.done().countDown();
    }
  }

  /** Feeds an object to the model and its change to the push controller. */
  void apply(HasMetadata o) {
    pushes.onChange(index.upsert(o));
  }

  /**
   * Nanoseconds from the change until every client has received and ACKed a new version of
   * {@code type}.
   */
  long converge(String type, HasMetadata change, Duration timeout) throws InterruptedException {
    Round r =
        new Round(
            round == null ? 1 : round.id() + 1,
            type,
            new CountDownLatch(clients.size()),
            new ConcurrentHashMap<>());
    round = r;
    long start = System.nanoTime();
    apply(change);
    if (!r.done().await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          r.done().getCount() + " clients did not get a new " + type + ": " + firstFailure());
    }
    return System.nanoTime() - start;
  }

  @Override
  public void close() throws InterruptedException {
    clients.forEach(AdsClient::close);
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
    pushes.close();
  }
}
