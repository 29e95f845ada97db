package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.LeaderLease;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Two CAs in one namespace: only the holder of Lease {@code istio-namespace-controller-election}
 * writes {@code istio-ca-root-cert}; stopping it hands the writing over within the lease duration.
 */
@WithKubeApiServer
class RootCertLeaseIT {
  private static final Duration LEASE = Duration.ofSeconds(4);

  private static String holder(KubernetesClient client, String ns) {
    Lease lease = client.leases().inNamespace(ns).withName(LeaderLease.NAMESPACE_CONTROLLER).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private static Watch recordWrites(KubernetesClient client, String ns, List<String> writes) {
    return client
        .configMaps()
        .inNamespace(ns)
        .withName(RootCertDistributor.CONFIG_MAP)
        .watch(WriteLog.into(writes));
  }

  @Test
  void oneReplicaWritesAndStoppingItHandsOver(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-lease");
    Citadel a = new Citadel(CaConfig.defaults(ns));
    Citadel b = new Citadel(CaConfig.defaults(ns));
    try {
      a.start(client, LEASE);
      b.start(client, LEASE);
      assertThat(b.root()).isEqualTo(a.root());
      CaServer.await("a distributing replica", () -> a.distributing() || b.distributing());
      Citadel leader = a.distributing() ? a : b;
      Citadel follower = leader == a ? b : a;
      // Two renewals later the follower has still not taken over.
      Thread.sleep(LEASE.toMillis());
      assertThat(leader.distributing()).isTrue();
      assertThat(follower.distributing()).isFalse();
      assertThat(holder(client, ns)).isNotNull();

      // A new namespace gets its ConfigMap once, and nothing rewrites it.
      String first = CaServer.namespace(client, "ca-lease-ns");
      List<String> writes = new CopyOnWriteArrayList<>();
      try (Watch w = recordWrites(client, first, writes)) {
        CaServer.await(
            "istio-ca-root-cert in " + first, () -> a.rootPem().equals(rootCm(client, first)));
        Thread.sleep(1000);
        assertThat(writes).hasSize(1);
        assertThat(writes.get(0)).startsWith("ADDED");
      }

      String before = holder(client, ns);
      long stopped = System.nanoTime();
      leader.close();
      CaServer.await("the follower to take the Lease over", follower::distributing);
      Duration handover = Duration.ofNanos(System.nanoTime() - stopped);
      assertThat(handover).isLessThan(LEASE);
      assertThat(holder(client, ns)).isNotEqualTo(before);

      // The new holder writes: a deleted ConfigMap is restored, a new namespace gets one.
      client.configMaps().inNamespace(first).withName(RootCertDistributor.CONFIG_MAP).delete();
      String second = CaServer.namespace(client, "ca-lease-ns");
      CaServer.await(
          "istio-ca-root-cert restored and written by the new holder",
          () ->
              follower.rootPem().equals(rootCm(client, first))
                  && follower.rootPem().equals(rootCm(client, second)));
    } finally {
      a.close();
      b.close();
    }
  }

  private static String rootCm(KubernetesClient client, String ns) {
    ConfigMap cm =
        client.configMaps().inNamespace(ns).withName(RootCertDistributor.CONFIG_MAP).get();
    return cm == null || cm.getData() == null ? null : cm.getData().get(RootCertDistributor.KEY);
  }
}
