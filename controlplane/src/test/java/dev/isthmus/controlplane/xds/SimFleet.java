package dev.isthmus.controlplane.xds;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * {@code SimFleet} is many {@link SimProxy simulated proxies} against one xDS port on loopback:
 * they share a few channels (a server allows 100 streams per connection) and gRPC's shared event
 * loop, and one timer for their reconnects. Also builds the small mesh they are served.
 */
final class SimFleet implements AutoCloseable {
  static final int STREAMS_PER_CHANNEL = 50;

  final List<SimProxy> proxies = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final ScheduledExecutorService timer =
      Executors.newScheduledThreadPool(
          2,
          r -> {
            Thread t = new Thread(r, "sim-proxy-timer");
            t.setDaemon(true);
            return t;
          });

  /** How a simulated proxy talks and reconnects. */
  record Variant(boolean delta, boolean forgets) {}

  /**
   * @param variant the variant of each proxy number
   */
  SimFleet(int port, int n, IntFunction<Variant> variant) {
    for (int i = 0; i < n; i++) {
      if (i % STREAMS_PER_CHANNEL == 0) {
        channels.add(channel(port));
      }
      Variant v = variant.apply(i);
      proxies.add(
          new SimProxy(
              sidecar(i),
              v.delta(),
              v.forgets(),
              channels.get(channels.size() - 1),
              timer,
              BACKOFF_BASE_MILLIS,
              BACKOFF_MAX_MILLIS));
    }
  }

  /** Envoy's are 500 ms and 30 s; shorter here so that a test converges in seconds. */
  static final long BACKOFF_BASE_MILLIS = 50;

  static final long BACKOFF_MAX_MILLIS = 2_000;

  static ManagedChannel channel(int port) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
        .maxInboundMessageSize(64 << 20)
        .build();
  }

  void start() {
    proxies.forEach(SimProxy::start);
  }

  long complete() {
    return proxies.stream().filter(SimProxy::complete).count();
  }

  /** Node of simulated sidecar {@code i}, spread over the mesh's namespaces. */
  static io.envoyproxy.envoy.config.core.v3.Node sidecar(int i) {
    String ns = ns(i);
    return Fixtures.node(
        "sidecar~10.200."
            + (i / 250)
            + "."
            + (i % 250 + 1)
            + "~sim-"
            + i
            + "."
            + ns
            + "~"
            + ns
            + ".svc.cluster.local",
        Map.of());
  }

  static final List<String> NAMESPACES = List.of("sim-a", "sim-b", "sim-c");

  static String ns(int i) {
    return NAMESPACES.get(i % NAMESPACES.size());
  }

  /** Four HTTP services per namespace, two endpoints each (documentation addresses). */
  static void mesh(KubernetesClient kube) {
    for (int n = 0; n < NAMESPACES.size(); n++) {
      String ns = NAMESPACES.get(n);
      kube.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .serverSideApply();
      for (int s = 0; s < 4; s++) {
        String name = "svc" + s;
        var svc = Fixtures.service(ns, name, "http", 8080 + s, 8080);
        svc.getSpec().setClusterIP(null);
        kube.services().inNamespace(ns).resource(svc).serverSideApply();
        kube.resource(
                Fixtures.slice(
                    ns,
                    name,
                    "http",
                    8080,
                    new Fixtures.Ep(
                        "10.30." + n + "." + (s * 2 + 1),
                        name + "-1",
                        true,
                        true,
                        false,
                        "z1",
                        "node-1"),
                    new Fixtures.Ep(
                        "10.30." + n + "." + (s * 2 + 2),
                        name + "-2",
                        true,
                        true,
                        false,
                        "z2",
                        "node-2")))
            .serverSideApply();
      }
    }
  }

  /** Waits until {@code done} holds, or fails with {@code why} after {@code timeout}. */
  static void await(Duration timeout, BooleanSupplier done, Supplier<String> why)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + timeout + ": " + why.get());
      }
      Thread.sleep(50);
    }
  }

  /** Heap in use after a few full collections. */
  static long heapAfterGc() throws InterruptedException {
    var mem = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return mem.getHeapMemoryUsage().getUsed();
  }

  @Override
  public void close() throws InterruptedException {
    proxies.forEach(SimProxy::stop);
    timer.shutdownNow();
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
