package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.Change;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Debouncing, merging and scoping of pushes. */
class PushControllerTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";
  static final ProxyNode PRODUCTPAGE = Fixtures.sidecar("10.1.0.9", "productpage", "default");
  static final ProxyNode SCOPED = Fixtures.sidecar("10.3.0.1", "app", "scoped");

  final AtomicReference<ClusterState> state = new AtomicReference<>(Fixtures.reviews());
  final AtomicInteger builds = new AtomicInteger();
  final XdsMetrics metrics = new XdsMetrics(new SimpleMeterRegistry());
  final AtomicReference<PushController> ref = new AtomicReference<>();
  final XdsCache cache = new XdsCache(p -> ResourceGenerator.generate(ref.get().current(), p));

  PushController controller(Duration quiet, Duration max) {
    PushController pc =
        new PushController(
            () -> {
              builds.incrementAndGet();
              return Fixtures.build(state.get());
            },
            cache,
            metrics,
            quiet,
            max);
    ref.set(pc);
    pc.initialize();
    return pc;
  }

  void connect(ProxyNode... proxies) {
    for (ProxyNode p : proxies) {
      cache.connect(p.id(), p, null);
    }
  }

  /** Bounded wait for an asynchronous push; what happened is asserted afterwards. */
  static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  static ClusterState withSidecars(ClusterState s, List<Sidecar> sidecars) {
    return s.withSidecars(sidecars);
  }

  @Test
  void changesWithinTheQuietPeriodMergeIntoOnePush() throws Exception {
    try (PushController pc = controller(Duration.ofSeconds(1), Duration.ofSeconds(30))) {
      int before = builds.get();
      for (int i = 0; i < 20; i++) {
        pc.onChange(i % 2 == 0 ? Change.config() : Change.endpoints(Set.of(REVIEWS)));
      }
      await(() -> pc.pushCount() >= 1);

      assertThat(pc.pushCount()).isEqualTo(1);
      assertThat(builds.get() - before).isEqualTo(1);
      assertThat(metrics.fullPushes()).isEqualTo(1);
      assertThat(metrics.edsOnlyPushes()).isZero();
    }
  }

  @Test
  void maximumDelayCapsAnEndlessQuietPeriod() throws Exception {
    try (PushController pc = controller(Duration.ofHours(1), Duration.ofMillis(100))) {
      pc.onChange(Change.config());
      await(() -> pc.pushCount() >= 1);

      assertThat(pc.pushCount()).isEqualTo(1);
    }
  }

  @Test
  void endpointChangeRegeneratesEdsOnlyForProxiesThatSeeTheHost() throws Exception {
    Sidecar ownNamespaceOnly = Fixtures.ownNamespaceOnly("scoped");
    state.set(withSidecars(Fixtures.reviews(), List.of(ownNamespaceOnly)));
    try (PushController pc = controller(Duration.ofMillis(10), Duration.ofSeconds(1))) {
      connect(PRODUCTPAGE, SCOPED);
      ProxyResources seesBefore = cache.resources(PRODUCTPAGE.id());
      ProxyResources scopedBefore = cache.resources(SCOPED.id());
      assertThat(scopedBefore.messages(Resources.V3.CLUSTER_TYPE_URL))
          .as("Sidecar egress ./* hides other namespaces")
          .doesNotContainKey("outbound|9080||" + REVIEWS);

      ClusterState s = Fixtures.reviews();
      s.endpointSlices().get(0).getEndpoints().remove(0);
      state.set(withSidecars(s, List.of(ownNamespaceOnly)));
      pc.onChange(Change.endpoints(Set.of(REVIEWS)));
      await(() -> pc.pushCount() >= 1);

      assertThat(metrics.edsOnlyPushes()).isEqualTo(1);
      ProxyResources seesAfter = cache.resources(PRODUCTPAGE.id());
      assertThat(seesAfter.version(Resources.V3.ENDPOINT_TYPE_URL, List.of()))
          .isNotEqualTo(seesBefore.version(Resources.V3.ENDPOINT_TYPE_URL, List.of()));
      assertThat(seesAfter.resources(Resources.V3.CLUSTER_TYPE_URL))
          .isSameAs(seesBefore.resources(Resources.V3.CLUSTER_TYPE_URL));
      assertThat(cache.resources(SCOPED.id())).isSameAs(scopedBefore);
    }
  }

  @Test
  void newSnapshotIsVisibleToNewlyConnectingProxies() throws Exception {
    try (PushController pc = controller(Duration.ofMillis(10), Duration.ofSeconds(1))) {
      state.set(ClusterState.empty());
      pc.onChange(Change.config());
      await(() -> pc.pushCount() >= 1);

      MeshSnapshot now = pc.current();
      assertThat(now.services()).isEmpty();
      connect(PRODUCTPAGE);
      assertThat(cache.resources(PRODUCTPAGE.id()).messages(Resources.V3.CLUSTER_TYPE_URL))
          .containsOnlyKeys(Names.BLACKHOLE, Names.PASSTHROUGH);
    }
  }

  @Test
  void sidecarChangeRecomputesOnlyTheProxiesOfItsNamespace() throws Exception {
    try (PushController pc = controller(Duration.ofMillis(10), Duration.ofSeconds(1))) {
      connect(PRODUCTPAGE, SCOPED);
      ProxyResources otherBefore = cache.resources(PRODUCTPAGE.id());
      assertThat(cache.resources(SCOPED.id()).messages(Resources.V3.CLUSTER_TYPE_URL))
          .containsKey("outbound|9080||" + REVIEWS);

      state.set(withSidecars(Fixtures.reviews(), List.of(Fixtures.ownNamespaceOnly("scoped"))));
      pc.onChange(
          new Change(
              true, Set.of(), Set.of(ConfigKey.of(ConfigKey.Kind.SIDECAR, "scoped", "default"))));
      await(() -> pc.pushCount() >= 1);

      assertThat(cache.resources(PRODUCTPAGE.id())).isSameAs(otherBefore);
      assertThat(cache.resources(SCOPED.id()).messages(Resources.V3.CLUSTER_TYPE_URL))
          .doesNotContainKey("outbound|9080||" + REVIEWS);
      assertThat(pc.lastPush().kinds()).containsExactly(ConfigKey.Kind.SIDECAR);
      assertThat(pc.lastPush().namespaces()).containsExactly("scoped");
      assertThat(metrics.fullPushes()).isEqualTo(1);
    }
  }

  @Test
  void proxiesOfOnePushShareOneAssignmentPerCluster() throws Exception {
    try (PushController pc = controller(Duration.ofMillis(10), Duration.ofSeconds(1))) {
      ProxyNode a = Fixtures.sidecar("10.1.0.9", "productpage", "default");
      ProxyNode b = Fixtures.sidecar("10.1.0.8", "details", "default");
      connect(a, b);
      pc.onChange(Change.config());
      await(() -> pc.pushCount() >= 1);

      String cluster = "outbound|9080||" + REVIEWS;
      assertThat(cache.resources(a.id()).resources(Resources.V3.ENDPOINT_TYPE_URL).get(cluster))
          .isNotNull()
          .isSameAs(cache.resources(b.id()).resources(Resources.V3.ENDPOINT_TYPE_URL).get(cluster));
      assertThat(cache.resources(a.id()).resources(Resources.V3.CLUSTER_TYPE_URL).get(cluster))
          .isSameAs(cache.resources(b.id()).resources(Resources.V3.CLUSTER_TYPE_URL).get(cluster));
      assertThat(cache.resources(a.id()).resources(Resources.V3.ENDPOINT_TYPE_URL))
          .as("equal assignment maps are one map")
          .isSameAs(cache.resources(b.id()).resources(Resources.V3.ENDPOINT_TYPE_URL));
    }
  }
}
