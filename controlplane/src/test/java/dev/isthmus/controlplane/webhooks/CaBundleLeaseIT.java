package dev.isthmus.controlplane.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.LeaderLease;
import dev.isthmus.controlplane.ca.WriteLog;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Two webhook servers of one revision: both serve, only the holder of Lease {@code
 * istio-validation-controller-election} patches caBundle, and stopping it hands over within the
 * lease duration.
 */
@WithKubeApiServer
class CaBundleLeaseIT {
  private static final Duration LEASE = Duration.ofSeconds(4);

  @Test
  void oneReplicaPatchesAndStoppingItHandsOver(KubernetesClient client) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String ns = "wh-lease-" + run;
    String name = "wh-lease-" + run;
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    TestCertificates certs = TestCertificates.selfSigned();
    WebhooksIT.MutableRoot root = new WebhooksIT.MutableRoot(certs.pem());
    Webhooks.Config config = Webhooks.Config.of(ns, "default").withListen("127.0.0.1", 0);
    Webhooks a = Webhooks.start(client, config, certs.servingTls(), root, LEASE);
    Webhooks b = Webhooks.start(client, config, certs.servingTls(), root, LEASE);
    List<String> writes = new CopyOnWriteArrayList<>();
    try (Watch w =
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(name)
            .watch(WriteLog.into(writes))) {
      assertThat(a.port()).isNotEqualTo(b.port());
      await("a Lease holder", () -> a.patchingCaBundle() || b.patchingCaBundle());
      create(client, name, name);
      await("caBundle patched", () -> root.rootPem().equals(bundle(client, name)));
      Thread.sleep(LEASE.toMillis());
      // Created, patched once by the holder; the other replica did not touch it.
      assertThat(writes).hasSize(2);
      assertThat(writes.get(1)).startsWith("MODIFIED");

      assertThat(a.patchingCaBundle()).isNotEqualTo(b.patchingCaBundle());
      Webhooks leader = a.patchingCaBundle() ? a : b;
      Webhooks follower = leader == a ? b : a;
      String before = holder(client, ns);
      long stopped = System.nanoTime();
      leader.close();
      await("the follower to take the Lease over", follower::patchingCaBundle);
      assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isLessThan(LEASE);
      assertThat(holder(client, ns)).isNotEqualTo(before);
      root.rotate(TestCertificates.selfSigned().pem());
      await(
          "caBundle patched by the new holder", () -> root.rootPem().equals(bundle(client, name)));
    } finally {
      a.close();
      b.close();
    }
  }

  private static String holder(KubernetesClient client, String ns) {
    var lease = client.leases().inNamespace(ns).withName(LeaderLease.VALIDATION_CONTROLLER).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  /**
   * Creates a validating webhook configuration of revision {@code default} named {@code name} whose
   * namespace selector matches nothing (label {@code never-matches-<selectorKey>}).
   */
  static void create(KubernetesClient client, String name, String selectorKey) {
    client
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .resource(
            new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("istio.io/rev", "default")
                .endMetadata()
                .addNewWebhook()
                .withName("rev.validation.istio.io")
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy("Ignore")
                .withNewClientConfig()
                .withUrl("https://127.0.0.1:1/validate")
                .endClientConfig()
                .withNewNamespaceSelector()
                .addToMatchLabels("never-matches-" + selectorKey, "x")
                .endNamespaceSelector()
                .addNewRule()
                .withApiGroups("networking.istio.io")
                .withApiVersions("*")
                .withOperations("CREATE")
                .withResources("*")
                .endRule()
                .endWebhook()
                .build())
        .create();
  }

  private static String bundle(KubernetesClient client, String name) {
    var c =
        client.admissionRegistration().v1().validatingWebhookConfigurations().withName(name).get();
    String b = c == null ? null : c.getWebhooks().get(0).getClientConfig().getCaBundle();
    return b == null ? null : new String(Base64.getDecoder().decode(b), StandardCharsets.UTF_8);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
