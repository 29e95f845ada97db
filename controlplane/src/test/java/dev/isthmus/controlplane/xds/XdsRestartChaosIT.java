package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The control plane is stopped and started again on the same port under 1,000 connected proxies
 * (SotW and Delta; half of them keep their config across the reconnect as Envoy does, half start
 * empty as a restarted Envoy would). Every proxy must end with the config it had, the reconnect
 * storm must pass through the stream admission limit, and nothing of the first instance's streams
 * may survive in the second.
 */
@WithKubeApiServer
class XdsRestartChaosIT {
  static final int PROXIES = 1000;
  static final double RATE = 200;

  @Test
  void restartUnderThousandProxiesResyncsEveryProxyWithinTheAdmissionLimit(KubernetesClient kube)
      throws Exception {
    SimFleet.mesh(kube);
    ControlPlaneConfig config =
        ControlPlaneConfig.defaults()
            .withEphemeralPorts()
            .withDebounce(Duration.ofMillis(20), Duration.ofMillis(500))
            .withXdsStreamsPerSecond(RATE);
    Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
    var threads = ManagementFactory.getThreadMXBean();
    threads.resetPeakThreadCount();
    ControlPlane first = ControlPlane.start(config, kube);
    int port = first.xdsPort();
    ControlPlane second = null;
    try (SimFleet fleet =
        new SimFleet(port, PROXIES, i -> new SimFleet.Variant(i % 2 == 1, i % 4 >= 2))) {
      fleet.start();
      SimFleet.await(
          Duration.ofSeconds(60),
          () -> fleet.complete() == PROXIES,
          () -> fleet.complete() + " of " + PROXIES + " complete; " + errors(fleet));
      Map<SimProxy, Map<String, Map<String, String>>> before = settled(fleet);
      assertThat(before.values())
          .allSatisfy(s -> assertThat(s.get("eds")).hasSizeGreaterThanOrEqualTo(12));

      first.close();
      assertThat(first.ads().streamStateSizes())
          .as("stream state of the stopped control plane")
          .allSatisfy((k, v) -> assertThat(v).as(k).isZero());
      assertThat(leftOver(threadsBefore)).as("threads of the stopped control plane").isEmpty();

      second = ControlPlane.start(config.withXdsPort(port), kube);
      long restarted = System.nanoTime();
      ControlPlane cp = second;
      StreamRateLimit limit = cp.streamLimit().orElseThrow();
      List<long[]> admissions = new ArrayList<>();
      Thread sampler = sampler(limit, admissions);
      try {
        SimFleet.await(
            Duration.ofSeconds(60),
            () -> bound(cp) == PROXIES && resynced(fleet, before) == PROXIES,
            () ->
                bound(cp)
                    + " streams bound, "
                    + resynced(fleet, before)
                    + " of "
                    + PROXIES
                    + " proxies resynced; "
                    + errors(fleet));
      } finally {
        sampler.interrupt();
        sampler.join();
      }
      int threadPeak = threads.getPeakThreadCount() - threadsBefore.size();
      System.out.printf(
          "XdsRestartChaosIT: %d proxies resynced %.1f s after the restart; streams admitted %d,"
              + " delayed %d, refused %d (limit %.0f/s); at most %d threads more than before the start%n",
          PROXIES,
          (System.nanoTime() - restarted) / 1e9,
          limit.admitted(),
          limit.delayed(),
          limit.refused(),
          RATE,
          threadPeak);

      // (a) every proxy holds what it held before: same names, same content
      for (SimProxy p : fleet.proxies) {
        assertThat(p.snapshot()).as(p.node.getId()).isEqualTo(before.get(p));
      }
      // ... and what the restarted control plane serves it, whether it was sent again or not
      Map<String, SimProxy> byNode = new HashMap<>();
      fleet.proxies.forEach(p -> byNode.put(p.node.getId(), p));
      for (XdsConnection c : cp.ads().connections()) {
        SimProxy p = byNode.get(c.proxy().id());
        assertThat(served(cp.ads().resources(c), p.snapshot()))
            .as(c.proxy().id())
            .isEqualTo(p.snapshot());
      }
      // (b) the storm was throttled: never more than the rate plus one second's burst
      assertThat(limit.refused() + limit.delayed()).as("streams refused or delayed").isPositive();
      synchronized (admissions) {
        assertWithinLimit(admissions);
      }
      // a stream waiting for its turn holds no thread: hundreds of streams wait in a storm
      long held = admissions.stream().mapToLong(a -> a[2]).max().orElse(0);
      assertThat(held).as("threads held by streams waiting for their turn").isZero();
      // (c) one stream per proxy: nothing of the first instance's streams was carried over
      assertThat(cp.ads().connections()).hasSize(PROXIES);
      assertThat(
              cp.ads().connections().stream()
                  .collect(Collectors.groupingBy(c -> c.proxy().id(), Collectors.counting())))
          .hasSize(PROXIES)
          .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
      assertThat(cp.ads().streamStateSizes()).containsEntry("cache.streams", PROXIES);
      assertThat(gauge(cp.monitoringPort(), "pilot_xds")).isEqualTo(PROXIES);
    } finally {
      if (second != null) {
        second.close();
      }
      first.close();
    }
  }

  /**
   * Per type, name to version of what a stream is served: all clusters and listeners, and the
   * assignments and routes the proxy holds (the ones it asks for).
   */
  private static Map<String, Map<String, String>> served(
      ProxyResources resources, Map<String, Map<String, String>> held) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (String type : SimProxy.TYPES) {
      String label = XdsMetrics.typeLabel(type);
      Map<String, String> m = new TreeMap<>();
      resources
          .resources(type)
          .forEach(
              (name, v) -> {
                boolean wildcard = type.equals(SimProxy.CDS) || type.equals(SimProxy.LDS);
                if (wildcard || held.getOrDefault(label, Map.of()).containsKey(name)) {
                  m.put(name, v.version());
                }
              });
      out.put(label, m);
    }
    return out;
  }

  /** Per proxy what it holds, once nothing changes any more (late pushes of the informer sync). */
  private static Map<SimProxy, Map<String, Map<String, String>>> settled(SimFleet fleet)
      throws InterruptedException {
    Map<SimProxy, Map<String, Map<String, String>>> last = Map.of();
    for (int i = 0; i < 30; i++) {
      Map<SimProxy, Map<String, Map<String, String>>> now = new HashMap<>();
      fleet.proxies.forEach(p -> now.put(p, p.snapshot()));
      if (now.equals(last)) {
        return now;
      }
      last = now;
      Thread.sleep(1_000);
    }
    throw new AssertionError("proxies' config kept changing");
  }

  private static long resynced(
      SimFleet fleet, Map<SimProxy, Map<String, Map<String, String>>> before) {
    return fleet.proxies.stream()
        .filter(p -> p.complete() && p.snapshot().equals(before.get(p)))
        .count();
  }

  private static long bound(ControlPlane cp) {
    return cp.ads().connections().stream().filter(c -> c.proxy() != null).count();
  }

  private static String errors(SimFleet fleet) {
    return fleet.proxies.stream()
        .filter(p -> p.lastError() != null)
        .collect(
            Collectors.groupingBy(
                p -> p.lastError().getCode() + " " + p.lastError().getDescription(),
                Collectors.counting()))
        .toString();
  }

  /**
   * Records (time, streams admitted, threads inside the admission limit) every 20 ms; the threads
   * are counted from stack traces, every fifth sample.
   */
  private static Thread sampler(StreamRateLimit limit, List<long[]> out) {
    Thread t =
        new Thread(
            () -> {
              for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                long inLimit = i % 5 == 0 ? threadsInLimit() : 0;
                synchronized (out) {
                  out.add(new long[] {System.nanoTime(), limit.admitted(), inLimit});
                }
                try {
                  Thread.sleep(20);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "admission-sampler");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Threads waiting out a delay in the admission limit itself: {@code interceptCall} with only JDK
   * frames above it, among them a timed wait (a sleep, a timed park). A lock taken briefly on the
   * way does not count: that is contention, not a thread held for the stream's turn.
   */
  private static long threadsInLimit() {
    return Thread.getAllStackTraces().values().stream()
        .filter(XdsRestartChaosIT::waitingInLimit)
        .count();
  }

  private static boolean waitingInLimit(StackTraceElement[] stack) {
    boolean timedWait = false;
    for (StackTraceElement f : stack) {
      if (f.getClassName().equals(StreamRateLimit.class.getName())
          && f.getMethodName().equals("interceptCall")) {
        return timedWait;
      }
      if (!f.getClassName().startsWith("java.") && !f.getClassName().startsWith("jdk.")) {
        return false;
      }
      timedWait |= f.getMethodName().startsWith("sleep") || f.getMethodName().equals("parkNanos");
    }
    return false;
  }

  /**
   * Between any two samples, the streams admitted are at most the rate times the time between them
   * plus one second's burst (and one for the sampling order).
   */
  private static void assertWithinLimit(List<long[]> samples) {
    assertThat(samples.get(samples.size() - 1)[1]).as("streams admitted").isGreaterThan(0);
    for (int i = 0; i < samples.size(); i++) {
      for (int j = i + 1; j < samples.size(); j++) {
        double seconds = (samples.get(j)[0] - samples.get(i)[0]) / 1e9;
        long admitted = samples.get(j)[1] - samples.get(i)[1];
        assertThat((double) admitted)
            .as("streams admitted in %.2f s", seconds)
            .isLessThanOrEqualTo(RATE * seconds + RATE + 1);
      }
    }
  }

  /**
   * Threads that are not the control plane's: gRPC's shared pools (released some time after their
   * last user), the simulated proxies' timer, and those the shared API-server client starts on
   * demand (its executor, its informers' scheduler, and Vert.x event loops beyond the first: the
   * control plane's own HTTP servers run one event loop each).
   */
  static final Pattern CLIENT_THREADS =
      Pattern.compile(
          "grpc-.*|sim-proxy-.*|-?\\d+-pool-\\d+-thread-\\d+|CachedSingleThreadScheduler-.*"
              + "|vert\\.x-eventloop-thread-[1-9]\\d*");

  /** Threads the stopped control plane started that are still alive a few seconds later. */
  private static List<String> leftOver(Set<Thread> before) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    List<String> alive;
    do {
      alive =
          Thread.getAllStackTraces().keySet().stream()
              .filter(t -> !before.contains(t) && t.isAlive())
              .map(Thread::getName)
              .filter(n -> !CLIENT_THREADS.matcher(n).matches())
              .sorted()
              .toList();
      if (!alive.isEmpty()) {
        System.gc(); // threads that end when their owner is collected
        Thread.sleep(200);
      }
    } while (!alive.isEmpty() && System.nanoTime() < deadline);
    return alive;
  }

  /** A gauge's value as {@code /metrics} serves it. */
  static double gauge(int monitoringPort, String name) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + monitoringPort + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return r.body()
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in /metrics"));
  }
}
