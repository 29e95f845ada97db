package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas with leader election (the Deployment's {@code POD_NAMESPACE} Lease): only
 * the Lease holder reconciles; when it stops, the other takes the Lease over and carries on.
 */
@WithKubeApiServer
class LeaderElectionIT {
  static final String NS = "isthmus-leader";

  @Test
  void onlyTheLeaderReconcilesAndAFollowerTakesOver(KubernetesClient client) {
    OperatorFixture.namespace(client, NS);
    OperatorFixture.Counter a = new OperatorFixture.Counter();
    OperatorFixture.Counter b = new OperatorFixture.Counter();
    IsthmusOperator first = start(client, "replica-a", a);
    IsthmusOperator second = null;
    try {
      await().atMost(TIMEOUT).until(() -> "replica-a".equals(holder(client)));
      second = start(client, "replica-b", b);

      IstioOperator iop = OperatorFixture.baseOnly("elected", NS);
      var res = client.resources(IstioOperator.class).inNamespace(NS).resource(iop);
      res.create();
      OperatorFixture.awaitStatus(res::get, InstallStatus.HEALTHY);
      assertThat(a.applied.get()).as("the leader reconciled").isPositive();
      assertThat(b.applied.get()).as("the follower did not").isZero();
      assertThat(holder(client)).isEqualTo("replica-a");

      first.close();
      first = null;
      await().atMost(TIMEOUT).until(() -> "replica-b".equals(holder(client)));
      IstioOperator edited = res.get();
      long before = edited.getMetadata().getGeneration();
      edited.getSpec().hub = "registry.example/istio";
      IstioOperator updated = client.resource(edited).update();
      long generation = updated.getMetadata().getGeneration();
      assertThat(generation).as("the edit is a new generation").isGreaterThan(before);
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                var s = res.get().getStatus();
                return s != null
                    && s.observedGeneration != null
                    && s.observedGeneration == generation;
              });
      assertThat(b.applied.get()).as("the new leader reconciles").isPositive();
      OperatorFixture.deleteAndAwait(res);
    } finally {
      if (first != null) {
        first.close();
      }
      if (second != null) {
        second.close();
      }
    }
  }

  private static IsthmusOperator start(
      KubernetesClient client, String identity, OperatorFixture.Counter counter) {
    LeaderElectionConfiguration election =
        LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(IsthmusOperator.LEASE_NAME)
            .withLeaseNamespace(NS)
            .withIdentity(identity)
            .withLeaseDuration(Duration.ofSeconds(4))
            .withRenewDeadline(Duration.ofSeconds(3))
            .withRetryPeriod(Duration.ofMillis(500))
            // in a Pod losing the Lease exits the process; a test JVM must survive it
            .buildForTest(false);
    return IsthmusOperator.start(
        client,
        OperatorFixture.watching(NS).withListeners(List.of(counter)).withLeaderElection(election));
  }

  private static String holder(KubernetesClient client) {
    var lease = client.leases().inNamespace(NS).withName(IsthmusOperator.LEASE_NAME).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }
}
