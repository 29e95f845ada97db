package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.Change;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Clients verify a server against the service's identities ({@link ServiceAccounts}), which come
 * from its endpoints: an endpoint update that brings a new service account must reach the clients'
 * clusters (a full push for them, as Istio does), one that does not stays an EDS-only push.
 */
class IdentityPushTest {
  static final String REVIEWS = SimulationTest.REVIEWS;
  static final String ALL = SimulationTest.ALL;
  static final String NEXT_ID = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews-next";

  final AtomicReference<ClusterState> state = new AtomicReference<>(SimulationMesh.with(null));
  final AtomicReference<PushController> ref = new AtomicReference<>();
  final XdsCache cache = new XdsCache(p -> ResourceGenerator.generate(ref.get().current(), p));

  PushController controller() {
    PushController pc =
        new PushController(
            () -> Fixtures.build(state.get()),
            cache,
            new XdsMetrics(new SimpleMeterRegistry()),
            Duration.ofMillis(10),
            Duration.ofMillis(100));
    ref.set(pc);
    pc.initialize();
    return pc;
  }

  /** reviews with one more endpoint, a pod running as {@code account}'s service account. */
  static ClusterState withNewPod(ClusterState s, String app, String ip) {
    List<Pod> pods = new ArrayList<>(s.pods());
    pods.add(Fixtures.pod("default", "reviews-next", ip, Map.of("app", app, "version", "v5")));
    List<EndpointSlice> slices = new ArrayList<>();
    for (EndpointSlice e : s.endpointSlices()) {
      if ("reviews-abc".equals(e.getMetadata().getName())) {
        e =
            new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder(e)
                .addNewEndpoint()
                .withAddresses(ip)
                .withNewConditions()
                .withReady(true)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withNamespace("default")
                .withName("reviews-next")
                .endTargetRef()
                .endEndpoint()
                .build();
      }
      slices.add(e);
    }
    return s.withPods(pods).withKubernetes(s.services(), slices);
  }

  static List<String> sans(ProxyResources r) {
    return Simulation.upstream(r, ALL).endpoint("10.1.0.1").tls().sans();
  }

  static void await(PushController pc, long pushes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (pc.pushCount() < pushes && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void aPodWithANewServiceAccountReachesTheClientsClusters() throws Exception {
    try (PushController pc = controller()) {
      ProxyNode pp = SimulationMesh.PRODUCTPAGE;
      cache.connect(pp.id(), pp, null);
      assertThat(sans(cache.resources(pp.id())))
          .containsExactly("spiffe://cluster.local/ns/default/sa/bookinfo-reviews");

      state.set(withNewPod(state.get(), "reviews-next", "10.1.0.7"));
      pc.onChange(Change.endpoints(Set.of(REVIEWS)));
      await(pc, 1);

      assertThat(pc.lastPush().full()).as("a full push, not EDS only").isTrue();
      assertThat(pc.lastPush().configs()).contains(ConfigKey.service("default", REVIEWS));
      assertThat(sans(cache.resources(pp.id())))
          .containsExactly("spiffe://cluster.local/ns/default/sa/bookinfo-reviews", NEXT_ID);
    }
  }

  @Test
  void aPodOfAKnownServiceAccountIsAnEndpointUpdateOnly() throws Exception {
    try (PushController pc = controller()) {
      ProxyNode pp = SimulationMesh.PRODUCTPAGE;
      cache.connect(pp.id(), pp, null);
      var clusters = cache.resources(pp.id()).resources(Resources.V3.CLUSTER_TYPE_URL);

      state.set(withNewPod(state.get(), "reviews", "10.1.0.7"));
      pc.onChange(Change.endpoints(Set.of(REVIEWS)));
      await(pc, 1);

      assertThat(pc.lastPush().full()).isFalse();
      assertThat(cache.resources(pp.id()).resources(Resources.V3.CLUSTER_TYPE_URL))
          .isSameAs(clusters);
    }
  }

  @Test
  void identityChangesBecomeServiceKeys() {
    MeshSnapshot before = Fixtures.build(SimulationMesh.with(null));
    MeshSnapshot after = Fixtures.build(withNewPod(SimulationMesh.with(null), "other", "10.1.0.7"));
    Change c =
        PushController.withIdentityChanges(Change.endpoints(Set.of(REVIEWS)), false, before, after);
    assertThat(c.configs()).containsExactly(ConfigKey.service("default", REVIEWS));
    Change all =
        PushController.withIdentityChanges(Change.endpoints(Set.of()), true, before, after);
    assertThat(all.configs()).containsExactly(ConfigKey.service("default", REVIEWS));
    Change none =
        PushController.withIdentityChanges(Change.endpoints(Set.of(REVIEWS)), false, after, after);
    assertThat(none.full()).isFalse();
  }
}
