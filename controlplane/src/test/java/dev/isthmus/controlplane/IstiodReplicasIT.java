package dev.isthmus.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ca.WriteLog;
import dev.isthmus.controlplane.webhooks.CaBundleLeaseIT;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Two whole control planes ({@link Istiod}: Citadel, Pilot, webhooks) of one revision, started
 * together against one API server as two replicas of the istiod Deployment: one root, both serve,
 * the objects they write settle (no write fights), and when the leader crashes (its connection to
 * the API server gone, so it neither renews nor releases its Leases) the other replica takes both
 * writers over once the Leases expire.
 */
@WithKubeApiServer
class IstiodReplicasIT {
  private static final Duration LEASE = Duration.ofSeconds(4);

  @Test
  void twoReplicasShareOneRootSettleAndHandOverAfterACrash(KubernetesClient client)
      throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String ns = "istiod-replicas-" + run;
    String app = "app-" + run;
    namespace(client, ns);
    namespace(client, app);
    String webhook = "istiod-replicas-" + run;
    CaBundleLeaseIT.create(client, webhook, webhook);

    List<String> rootWrites = new CopyOnWriteArrayList<>();
    List<KubernetesClient> connections = new ArrayList<>();
    List<Istiod> replicas = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (Watch w =
        client
            .secrets()
            .inNamespace(ns)
            .withName("istio-ca-secret")
            .watch(WriteLog.into(rootWrites))) {
      CyclicBarrier together = new CyclicBarrier(2);
      List<Future<Istiod>> starting = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        KubernetesClient connection = TestKubeApiServer.get().newClient();
        connections.add(connection);
        starting.add(
            pool.submit(
                () -> {
                  together.await(30, TimeUnit.SECONDS);
                  return Istiod.start(
                      ControlPlaneConfig.defaults()
                          .withEphemeralPorts()
                          .withNamespace(ns)
                          .withDebounce(Duration.ofMillis(50), Duration.ofMillis(500)),
                      0,
                      connection,
                      LEASE);
                }));
      }
      for (Future<Istiod> f : starting) {
        replicas.add(f.get(120, TimeUnit.SECONDS));
      }
      Istiod a = replicas.get(0);
      Istiod b = replicas.get(1);
      await("both replicas ready", () -> a.ready() && b.ready());
      assertThat(a.citadel().rootPem()).as("one root").isEqualTo(b.citadel().rootPem());
      String root = a.citadel().rootPem();
      assertThat(rootWrites).as("istio-ca-secret written once").hasSize(1);
      // every namespace gets it, the control plane's own included, in no particular order
      await("istio-ca-root-cert in " + app, () -> root.equals(rootCert(client, app)));
      await("istio-ca-root-cert in " + ns, () -> root.equals(rootCert(client, ns)));
      await("caBundle of " + webhook, () -> root.equals(caBundle(client, webhook)));
      await(
          "one holder of each Lease",
          () ->
              a.citadel().distributing() != b.citadel().distributing()
                  && a.webhooks().patchingCaBundle() != b.webhooks().patchingCaBundle());

      // no write fights: what the replicas write stays at one resourceVersion
      Map<String, String> settled = versions(client, ns, app, webhook);
      Thread.sleep(LEASE.multipliedBy(2).toMillis());
      assertThat(versions(client, ns, app, webhook)).isEqualTo(settled);

      // the root-certificate writer crashes
      int crashed = a.citadel().distributing() ? 0 : 1;
      Istiod survivor = replicas.get(1 - crashed);
      connections.get(crashed).close();
      long crashedAt = System.nanoTime();
      await(
          "the survivor to hold both Leases",
          () -> survivor.citadel().distributing() && survivor.webhooks().patchingCaBundle());
      Duration handOver = Duration.ofNanos(System.nanoTime() - crashedAt);
      assertThat(handOver)
          .as("within the lease time (and its retry)")
          .isLessThan(LEASE.multipliedBy(3));
      String late = "late-" + run;
      namespace(client, late);
      await(
          "istio-ca-root-cert written by the survivor", () -> root.equals(rootCert(client, late)));
    } finally {
      replicas.forEach(Istiod::close);
      connections.forEach(KubernetesClient::close);
      pool.shutdownNow();
    }
  }

  private static Map<String, String> versions(
      KubernetesClient client, String ns, String app, String webhook) {
    Map<String, String> out = new TreeMap<>();
    put(out, client.secrets().inNamespace(ns).withName("istio-ca-secret").get());
    put(out, client.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get());
    put(out, client.configMaps().inNamespace(app).withName("istio-ca-root-cert").get());
    put(
        out,
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(webhook)
            .get());
    return out;
  }

  private static void put(Map<String, String> out, HasMetadata o) {
    assertThat(o).isNotNull();
    out.put(
        o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName(),
        o.getMetadata().getResourceVersion());
  }

  private static String rootCert(KubernetesClient client, String ns) {
    var cm = client.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get();
    return cm == null ? null : cm.getData().get("root-cert.pem");
  }

  private static String caBundle(KubernetesClient client, String name) {
    var c =
        client.admissionRegistration().v1().validatingWebhookConfigurations().withName(name).get();
    String b = c == null ? null : c.getWebhooks().get(0).getClientConfig().getCaBundle();
    return b == null ? null : new String(Base64.getDecoder().decode(b), StandardCharsets.UTF_8);
  }

  private static void namespace(KubernetesClient client, String ns) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
