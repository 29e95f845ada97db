package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Deleting the CA's Secrets while the control plane runs (a careless cleanup, a compromised
 * namespace admin) must not replace the mesh's root: every workload certificate and every {@code
 * istio-ca-root-cert} depends on it.
 */
@WithKubeApiServer
@Tag("hostile")
class HostileCaRootIT {
  private static final String SA = "sleep";

  /** Several CA check intervals: long enough for a wrongly generated root to be distributed. */
  private static final long SETTLE_MILLIS = 2_000;

  private static CaConfig config(String ns) {
    return CaConfig.defaults(ns).withCheckInterval(Duration.ofMillis(300));
  }

  private static String rootCm(KubernetesClient client, String ns) {
    ConfigMap cm = client.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get();
    return cm == null || cm.getData() == null ? null : cm.getData().get("root-cert.pem");
  }

  private static Secret secret(KubernetesClient client, String ns, String name) {
    return client.secrets().inNamespace(ns).withName(name).get();
  }

  private static List<Event> warnings(KubernetesClient client, String ns, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> "Warning".equals(e.getType()) && reason.equals(e.getReason()))
        .toList();
  }

  private static void assertStillPluggedIn(
      KubernetesClient client,
      Citadel citadel,
      SigningAuthority root,
      X509Certificate inter,
      String ns,
      String workload) {
    String pluggedPem = Pem.encode(root.root());
    assertThat(citadel.signingAuthority().source()).isEqualTo(SigningAuthority.Source.PLUGGED_IN);
    assertThat(citadel.signingAuthority().chain()).containsExactly(inter, root.root());
    assertThat(rootCm(client, workload)).isEqualTo(pluggedPem);
    assertThat(rootCm(client, ns)).isEqualTo(pluggedPem);
  }

  @Test
  void deletedIstioCaSecretIsWrittenBackWithTheSameRoot(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-lost");
    String workload = CaServer.namespace(client, "lost-workload");
    X509Certificate root;
    IstioPrometheusRegistry prometheus = new IstioPrometheusRegistry();
    try (Citadel citadel = new Citadel(config(ns), prometheus.registry())) {
      citadel.start(client);
      root = citadel.root();
      String rootPem = citadel.rootPem();
      CaServer.await("root in " + workload, () -> rootPem.equals(rootCm(client, workload)));
      Secret original = secret(client, ns, "istio-ca-secret");

      client.secrets().inNamespace(ns).withName("istio-ca-secret").delete();
      CaServer.await(
          "istio-ca-secret recreated",
          () -> {
            Secret s = secret(client, ns, "istio-ca-secret");
            return s != null && !s.getMetadata().getUid().equals(original.getMetadata().getUid());
          });
      Secret restored = secret(client, ns, "istio-ca-secret");
      assertThat(restored.getType()).isEqualTo("istio.io/ca-root");
      // The same key and certificate, byte for byte, not a new root.
      assertThat(restored.getData()).isEqualTo(original.getData());

      Thread.sleep(SETTLE_MILLIS);
      assertThat(citadel.root()).isEqualTo(root);
      assertThat(rootCm(client, workload)).isEqualTo(rootPem);
      assertThat(rootCm(client, ns)).isEqualTo(rootPem);
      CaServer.await(
          "a Warning event about istio-ca-secret",
          () -> !warnings(client, ns, "CARootSecretRestored").isEmpty());
      Event event = warnings(client, ns, "CARootSecretRestored").get(0);
      assertThat(event.getInvolvedObject().getKind()).isEqualTo("Secret");
      assertThat(event.getInvolvedObject().getName()).isEqualTo("istio-ca-secret");
      assertThat(event.getInvolvedObject().getUid()).isEqualTo(restored.getMetadata().getUid());
      assertThat(citadel.metrics().rootSecretRestoredCount()).isEqualTo(1);
      assertThat(prometheus.scrape()).contains("\ncitadel_server_root_secret_restored_count 1.0\n");
    }

    // What was written back is what the next start loads.
    try (Citadel restarted = new Citadel(config(ns))) {
      restarted.start(client);
      assertThat(restarted.root()).isEqualTo(root);
    }
  }

  @Test
  void deletedCacertsAndIstioCaSecretKeepThePluggedInRoot(KubernetesClient client)
      throws Exception {
    CaFixtures.PluggedIn plugged = CaFixtures.PluggedIn.create();
    String ns = CaServer.namespace(client, "ca-lostplug");
    String workload = CaServer.namespace(client, "lostplug-workload");
    String identity = CaServer.workloadIdentity(client, workload, SA);
    SigningAuthority root = plugged.root();
    X509Certificate inter = plugged.inter();
    String pluggedPem = Pem.encode(root.root());

    // First start is self-signed (istio-ca-secret is created), then a CA is plugged in.
    try (CaServer ca = new CaServer(client, config(ns))) {
      CaServer.putSecret(client, ns, "cacerts", plugged.cacerts());
      CaServer.await("the plugged-in root", () -> ca.citadel.root().equals(root.root()));
      CaServer.await(
          "plugged-in root in " + workload, () -> pluggedPem.equals(rootCm(client, workload)));
      assertThat(secret(client, ns, "istio-ca-secret")).isNotNull();

      client.secrets().inNamespace(ns).withName("cacerts").delete();
      Thread.sleep(SETTLE_MILLIS);
      assertStillPluggedIn(client, ca.citadel, root, inter, ns, workload);
      CaServer.await(
          "a Warning event about cacerts",
          () -> !warnings(client, ns, "PluggedInCASecretMissing").isEmpty());

      client.secrets().inNamespace(ns).withName("istio-ca-secret").delete();
      Thread.sleep(SETTLE_MILLIS);
      assertStillPluggedIn(client, ca.citadel, root, inter, ns, workload);
      // Neither Secret is written: cacerts belongs to whoever plugged it in, and an
      // istio-ca-secret holding the intermediate would be loaded as a root on the next start.
      assertThat(secret(client, ns, "cacerts")).isNull();
      assertThat(secret(client, ns, "istio-ca-secret")).isNull();
      Event event = warnings(client, ns, "PluggedInCASecretMissing").get(0);
      assertThat(event.getInvolvedObject().getName()).isEqualTo("cacerts");
      // Reported once per loss, not on every check.
      assertThat(warnings(client, ns, "PluggedInCASecretMissing")).hasSize(1);
      assertThat(ca.citadel.metrics().pluggedInSecretMissingCount()).isEqualTo(1);

      // Workloads still get certificates from the plugged-in chain.
      String token = CaServer.token(client, workload, SA, "istio-ca");
      List<X509Certificate> chain = ca.issue(token, identity);
      assertThat(chain.subList(1, chain.size())).containsExactly(inter, root.root());
      CaFixtures.verifyPkix(chain, root.root());
      assertThat(Objects.requireNonNull(ca.citadel.servingCertificate().chain()).get(1))
          .isEqualTo(inter);
    }
  }
}
