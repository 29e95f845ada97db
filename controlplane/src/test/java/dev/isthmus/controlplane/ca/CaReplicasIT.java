package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Several control-plane replicas against one API server: the first start creates one root, which
 * every replica then signs with.
 */
@WithKubeApiServer
class CaReplicasIT {
  private static final String SA = "sleep";
  private static final int ROUNDS = 4;

  @Test
  void twoCasStartingTogetherShareOneRoot(KubernetesClient client) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        String ns = CaServer.namespace(client, "ca-replicas");
        List<String> writes = new CopyOnWriteArrayList<>();
        Watch watch =
            client
                .secrets()
                .inNamespace(ns)
                .withName("istio-ca-secret")
                .watch(WriteLog.into(writes));
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<CaServer>> starting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          starting.add(
              pool.submit(
                  () -> {
                    together.await(30, TimeUnit.SECONDS);
                    return new CaServer(client, CaConfig.defaults(ns));
                  }));
        }
        try (watch;
            CaServer a = starting.get(0).get(60, TimeUnit.SECONDS);
            CaServer b = starting.get(1).get(60, TimeUnit.SECONDS)) {
          Secret secret = client.secrets().inNamespace(ns).withName("istio-ca-secret").get();
          X509Certificate stored =
              Pem.certificate(
                  new String(
                      Base64.getDecoder().decode(secret.getData().get("ca-cert.pem")),
                      StandardCharsets.UTF_8));
          assertThat(a.citadel.root()).as("round %d", round).isEqualTo(stored);
          assertThat(b.citadel.root()).as("round %d", round).isEqualTo(stored);
          // Created once, never updated by the replica that lost the race.
          String created = "ADDED " + secret.getMetadata().getResourceVersion();
          CaServer.await("the watch to see the Secret", () -> writes.contains(created));
          assertThat(writes).as("round %d", round).containsExactly(created);
          assertThat(a.citadel.metrics().rootSecretRestored.count()).isZero();
          assertThat(b.citadel.metrics().rootSecretRestored.count()).isZero();

          String identity = CaServer.workloadIdentity(client, ns, SA);
          String token = CaServer.token(client, ns, SA, "istio-ca");
          for (CaServer replica : List.of(a, b)) {
            List<X509Certificate> chain = replica.issue(token, identity);
            assertThat(chain.get(chain.size() - 1)).isEqualTo(stored);
            CaFixtures.verifyPkix(chain, stored);
          }
          CaFixtures.verifyPkix(a.citadel.servingCertificate().chain(), stored);
          CaFixtures.verifyPkix(b.citadel.servingCertificate().chain(), stored);
          assertThat(writes).as("round %d", round).containsExactly(created);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
