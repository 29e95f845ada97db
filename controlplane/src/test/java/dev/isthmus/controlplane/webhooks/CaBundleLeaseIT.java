package dev.isthmus.controlplane.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.LeaderLease;
import dev.isthmus.controlplane.ca.WriteLog;
import dev.isthmus.testing.TestKubeApiServer;
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
 * Webhook servers as replicas: both serve, only the holder of the revision's Lease {@code
 * istio-validation-controller-election-<rev>} patches caBundle; stopping it hands over within the
 * lease duration, a crash once the Lease expires; two revisions each patch their own.
 */
@WithKubeApiServer
public class CaBundleLeaseIT {
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

  @Test
  void eachRevisionPatchesItsOwnWebhooks(KubernetesClient client) throws Exception {
    String ns = namespace(client, "wh-revs-");
    TestCertificates stable = TestCertificates.selfSigned();
    TestCertificates canary = TestCertificates.selfSigned();
    WebhooksIT.MutableRoot stableRoot = new WebhooksIT.MutableRoot(stable.pem());
    WebhooksIT.MutableRoot canaryRoot = new WebhooksIT.MutableRoot(canary.pem());
    try (Webhooks a =
            Webhooks.start(
                client,
                Webhooks.Config.of(ns, "default").withListen("127.0.0.1", 0),
                stable.servingTls(),
                stableRoot,
                LEASE);
        Webhooks b =
            Webhooks.start(
                client,
                Webhooks.Config.of(ns, "canary").withListen("127.0.0.1", 0),
                canary.servingTls(),
                canaryRoot,
                LEASE)) {
      create(client, ns + "-default", ns + "-default", "default");
      create(client, ns + "-canary", ns + "-canary", "canary");
      // During a canary upgrade both revisions run side by side: neither may starve the other.
      await("both revisions' Lease holders", () -> a.patchingCaBundle() && b.patchingCaBundle());
      await(
          "the default revision's caBundle",
          () -> stableRoot.rootPem().equals(bundle(client, ns + "-default")));
      await(
          "the canary revision's caBundle",
          () -> canaryRoot.rootPem().equals(bundle(client, ns + "-canary")));
      assertThat(holder(client, ns, "canary")).isNotNull();
      assertThat(holder(client, ns, "default")).isNotEqualTo(holder(client, ns, "canary"));
    }
  }

  @Test
  void aCrashedHolderIsReplacedOnceItsLeaseExpires(KubernetesClient client) throws Exception {
    String ns = namespace(client, "wh-crash-");
    TestCertificates certs = TestCertificates.selfSigned();
    WebhooksIT.MutableRoot root = new WebhooksIT.MutableRoot(certs.pem());
    Webhooks.Config config = Webhooks.Config.of(ns, "default").withListen("127.0.0.1", 0);
    KubernetesClient leaderConnection = TestKubeApiServer.get().newClient();
    Webhooks leader = Webhooks.start(leaderConnection, config, certs.servingTls(), root, LEASE);
    Webhooks follower = null;
    try {
      await("the first replica to lead", leader::patchingCaBundle);
      follower = Webhooks.start(client, config, certs.servingTls(), root, LEASE);
      String crashed = holder(client, ns, "default");
      // A crash: the holder's connection is gone, it neither renews nor releases the Lease.
      leaderConnection.close();
      long crashedAt = System.nanoTime();
      Webhooks next = follower;
      await("the follower to take the expired Lease over", next::patchingCaBundle);
      Duration handOver = Duration.ofNanos(System.nanoTime() - crashedAt);
      assertThat(holder(client, ns, "default")).isNotEqualTo(crashed);
      // it waited for the Lease to expire: no two writers at once
      assertThat(handOver).isGreaterThan(LEASE.dividedBy(2)).isLessThan(LEASE.multipliedBy(3));
      create(client, ns, ns, "default");
      await("caBundle patched by the new holder", () -> root.rootPem().equals(bundle(client, ns)));
    } finally {
      leader.close();
      if (follower != null) {
        follower.close();
      }
    }
  }

  private static String namespace(KubernetesClient client, String prefix) {
    String ns = prefix + UUID.randomUUID().toString().substring(0, 8);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    return ns;
  }

  private static String holder(KubernetesClient client, String ns) {
    return holder(client, ns, "default");
  }

  private static String holder(KubernetesClient client, String ns, String revision) {
    var lease =
        client
            .leases()
            .inNamespace(ns)
            .withName(LeaderLease.perRevision(LeaderLease.VALIDATION_CONTROLLER, revision))
            .get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  public static void create(KubernetesClient client, String name, String selectorKey) {
    create(client, name, selectorKey, "default");
  }

  /**
   * Creates a validating webhook configuration of {@code revision} named {@code name} whose
   * namespace selector matches nothing (label {@code never-matches-<selectorKey>}).
   */
  static void create(KubernetesClient client, String name, String selectorKey, String revision) {
    create(
        client,
        name,
        revision,
        "https://127.0.0.1:1/validate",
        "never-matches-" + selectorKey,
        "x",
        "Ignore");
  }

  /**
   * Creates validating webhook configuration {@code name} of {@code revision} (without caBundle:
   * the revision's control plane patches it) that sends CREATEs of networking.istio.io objects in
   * namespaces labelled {@code label=value} to {@code url}.
   */
  public static void create(
      KubernetesClient client,
      String name,
      String revision,
      String url,
      String label,
      String value,
      String failurePolicy) {
    client
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .resource(
            new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("istio.io/rev", revision)
                .endMetadata()
                .addNewWebhook()
                .withName("rev.validation.istio.io")
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy(failurePolicy)
                .withTimeoutSeconds(10)
                .withNewClientConfig()
                .withUrl(url)
                .endClientConfig()
                .withNewNamespaceSelector()
                .addToMatchLabels(label, value)
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
