package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 1,000 ADS streams opened and ended in every way a client can end one, sixteen at a time, against
 * the assembled control plane: afterwards no per-stream state is left (connections, cache entries,
 * watches, the name-table subscriptions, the connected-proxies gauge) and the heap after GC is back
 * near where it was.
 */
@WithKubeApiServer
class XdsStormIT {
  static final int CYCLES = 1000;
  static final int PARALLEL = 16;

  /** Heap a thousand ended streams may leave behind: noise, not a stream's resources. */
  static final long HEAP_TOLERANCE = 24L << 20;

  @Test
  void thousandUglyStreamEndingsLeaveNoStreamState(KubernetesClient kube) throws Exception {
    SimFleet.mesh(kube);
    try (ControlPlane cp =
        ControlPlane.start(
            ControlPlaneConfig.defaults()
                .withEphemeralPorts()
                .withDebounce(Duration.ofMillis(20), Duration.ofMillis(500))
                // low enough that streams wait for their turn, and some end while waiting
                .withXdsStreamsPerSecond(300),
            kube)) {
      ManagedChannel shared = SimFleet.channel(cp.xdsPort());
      ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
      try {
        StormCycles cycles = new StormCycles(cp.xdsPort(), shared);
        // warm-up: classes loaded, pools and caches at their working size
        run(pool, cycles, 0, 2 * StormCycles.KINDS);
        awaitNoStreamState(cp);
        long baseline = SimFleet.heapAfterGc();

        // endpoint and config pushes race with the streams' ends
        Thread churn = churn(kube);
        try {
          run(pool, cycles, 0, CYCLES);
        } finally {
          churn.interrupt();
          churn.join();
        }
        assertThat(cp.pushes().pushCount()).as("pushes during the storm").isPositive();
        awaitNoStreamState(cp);

        assertThat(cp.ads().connections()).isEmpty();
        assertThat(XdsRestartChaosIT.gauge(cp.monitoringPort(), "pilot_xds")).isZero();
        assertThat(ControlPlaneIT.get(cp.monitoringPort(), "/debug/adsz"))
            .contains("\"totalClients\" : 0");
        long after = SimFleet.heapAfterGc();
        System.out.printf(
            "XdsStormIT: %d streams ended, %d pushes meanwhile; heap after GC %.1f MB before,"
                + " %.1f MB after%n",
            CYCLES, cp.pushes().pushCount(), baseline / 1048576.0, after / 1048576.0);
        assertThat(after - baseline)
            .as("heap growth after %d ended streams (%d -> %d bytes)", CYCLES, baseline, after)
            .isLessThan(HEAP_TOLERANCE);
        assertThat(cycles.failures()).as("cycles that did not go as planned").isEmpty();
      } finally {
        pool.shutdownNow();
        shared.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Flips an endpoint's readiness every 100 ms until interrupted. */
  private static Thread churn(KubernetesClient kube) {
    Thread t =
        new Thread(
            () -> {
              for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                boolean ready = i % 2 == 0;
                kube.resource(
                        Fixtures.slice(
                            "sim-a",
                            "svc0",
                            "http",
                            8080,
                            new Fixtures.Ep(
                                "10.30.0.1", "svc0-1", true, true, false, "z1", "node-1"),
                            new Fixtures.Ep(
                                "10.30.0.2", "svc0-2", ready, ready, false, "z2", "node-2")))
                    .serverSideApply();
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "endpoint-churn");
    t.start();
    return t;
  }

  private static void run(ExecutorService pool, StormCycles cycles, int from, int to)
      throws Exception {
    List<Future<?>> done = new ArrayList<>();
    for (int i = from; i < to; i++) {
      int n = i;
      done.add(pool.submit(() -> cycles.run(n)));
    }
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  private static void awaitNoStreamState(ControlPlane cp) throws InterruptedException {
    SimFleet.await(
        Duration.ofSeconds(20),
        () -> cp.ads().streamStateSizes().values().stream().allMatch(v -> v == 0),
        () ->
            "per-stream state left: "
                + cp.ads().streamStateSizes()
                + ", streams: "
                + cp.ads().connections().stream().map(XdsConnection::toMap).toList());
  }

  static Status nack(String message) {
    return Status.newBuilder().setCode(3).setMessage(message).build();
  }

  static Map<String, String> dnsCapture() {
    return Map.of("DNS_CAPTURE", "true");
  }
}
