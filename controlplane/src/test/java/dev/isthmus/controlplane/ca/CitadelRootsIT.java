package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Roots against a real API server: persistence in istio-ca-secret, plugged-in CAs from cacerts,
 * root rotation, and distribution of istio-ca-root-cert to every namespace.
 */
@WithKubeApiServer
class CitadelRootsIT {
  private static final String SA = "sleep";

  private static String decoded(Secret secret, String key) {
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  private static String rootCm(KubernetesClient client, String ns) {
    ConfigMap cm = client.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get();
    return cm == null || cm.getData() == null ? null : cm.getData().get("root-cert.pem");
  }

  @Test
  void restartKeepsTheRootInIstioCaSecret(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-restart");
    X509Certificate first;
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns))) {
      citadel.start(client);
      first = citadel.root();
    }
    Secret secret = client.secrets().inNamespace(ns).withName("istio-ca-secret").get();
    assertThat(secret.getType()).isEqualTo("istio.io/ca-root");
    assertThat(Pem.certificate(decoded(secret, "ca-cert.pem"))).isEqualTo(first);
    assertThat(decoded(secret, "ca-key.pem")).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    try (Citadel restarted = new Citadel(CaConfig.defaults(ns))) {
      restarted.start(client);
      assertThat(restarted.root()).isEqualTo(first);
    }
  }

  @Test
  void ecdsaRootWhenSelected(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-ec");
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns).withKeyType(KeyType.ECDSA_P256))) {
      citadel.start(client);
      assertThat(citadel.root().getPublicKey()).isInstanceOf(ECPublicKey.class);
      X509Certificate serving = citadel.servingCertificate().chain().get(0);
      assertThat(serving.getSubjectAlternativeNames())
          .contains(List.of(2, "istiod." + ns + ".svc"));
      CaFixtures.verifyPkix(citadel.servingCertificate().chain(), citadel.root());
    }
  }

  @Test
  void selfSignedRootNearExpiryIsReissuedFromTheSameKey(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-rotate");
    KeyPair keys = KeyType.RSA_2048.generate();
    X509Certificate old = CertIssuer.selfSignedRoot(keys, "cluster.local", Duration.ofDays(100));
    CaServer.putSecret(
        client,
        ns,
        "istio-ca-secret",
        Map.of("ca-cert.pem", Pem.encode(old), "ca-key.pem", Pem.encode(keys)));
    SigningAuthority oldCa =
        new SigningAuthority(
            keys.getPrivate(), List.of(old), List.of(old), SigningAuthority.Source.SELF_SIGNED);
    X509Certificate leaf =
        CertIssuer.workload(
            oldCa,
            CaFixtures.ec("secp256r1").getPublic(),
            "spiffe://x/ns/a/sa/b",
            Duration.ofHours(1));

    try (Citadel citadel = new Citadel(CaConfig.defaults(ns))) {
      citadel.start(client);
      X509Certificate renewed = citadel.root();
      assertThat(renewed).isNotEqualTo(old);
      assertThat(renewed.getPublicKey()).isEqualTo(old.getPublicKey());
      assertThat(renewed.getNotAfter().toInstant())
          .isAfter(Instant.now().plus(Duration.ofDays(3000)));
      Secret secret = client.secrets().inNamespace(ns).withName("istio-ca-secret").get();
      assertThat(Pem.certificate(decoded(secret, "ca-cert.pem"))).isEqualTo(renewed);
      CaFixtures.verifyPkix(List.of(leaf, renewed), renewed);
    }
  }

  @Test
  void runningCaRotatesARootThatEntersItsGracePeriod(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-rerotate");
    List<String> notified = new CopyOnWriteArrayList<>();
    try (Citadel citadel =
        new Citadel(CaConfig.defaults(ns).withCheckInterval(Duration.ofMillis(500)))) {
      citadel.start(client);
      X509Certificate first = citadel.root();
      X509Certificate servingBefore = citadel.servingCertificate().chain().get(0);
      citadel.addRootListener(notified::add);
      // Another replica (or an operator) leaves a root that expires within the grace period.
      KeyPair keys = KeyType.RSA_2048.generate();
      X509Certificate expiring =
          CertIssuer.selfSignedRoot(keys, "cluster.local", Duration.ofDays(30));
      CaServer.putSecret(
          client,
          ns,
          "istio-ca-secret",
          Map.of("ca-cert.pem", Pem.encode(expiring), "ca-key.pem", Pem.encode(keys)));
      CaServer.await(
          "a root re-issued from the new key",
          () ->
              citadel.root().getPublicKey().equals(keys.getPublic())
                  && !citadel.root().equals(expiring)
                  && notified.contains(Pem.encode(citadel.root())));
      X509Certificate rotated = citadel.root();
      assertThat(rotated).isNotEqualTo(first);
      assertThat(rotated.getNotAfter().toInstant())
          .isAfter(Instant.now().plus(Duration.ofDays(3000)));
      // Listeners run after the serving certificate was renewed.
      assertThat(citadel.servingCertificate().chain().get(0)).isNotEqualTo(servingBefore);
      CaFixtures.verifyPkix(citadel.servingCertificate().chain(), rotated);
    }
  }

  @Test
  void pluggedInCaIsPickedUpWithoutRestartAndWinsOnRestart(KubernetesClient client)
      throws Exception {
    String ns = CaServer.namespace(client, "ca-plug");
    String workload = CaServer.namespace(client, "plug-workload");
    String identity = CaServer.workloadIdentity(client, workload, SA);
    CaFixtures.PluggedIn plugged = CaFixtures.PluggedIn.create();
    SigningAuthority root = plugged.root();
    X509Certificate inter = plugged.inter();

    List<String> notified = new CopyOnWriteArrayList<>();
    try (CaServer ca = new CaServer(client, CaConfig.defaults(ns))) {
      ca.citadel.addRootListener(notified::add);
      X509Certificate selfSigned = ca.citadel.root();
      CaServer.await(
          "self-signed root in " + workload,
          () -> Pem.encode(selfSigned).equals(rootCm(client, workload)));

      CaServer.putSecret(client, ns, "cacerts", plugged.cacerts());
      CaServer.await("the plugged-in root", () -> ca.citadel.root().equals(root.root()));
      // the serving certificate is re-issued from the new chain just after the root switches
      CaServer.await(
          "the serving certificate from the plugged-in chain",
          () ->
              ca.citadel.servingCertificate().chain().size() > 1
                  && ca.citadel.servingCertificate().chain().get(1).equals(inter));

      String token = CaServer.token(client, workload, SA, "istio-ca");
      List<X509Certificate> chain = ca.issue(token, identity);
      assertThat(chain).hasSize(3);
      assertThat(chain.subList(1, 3)).containsExactly(inter, root.root());
      CaFixtures.verifyPkix(chain, root.root());
      // The call trusted only the plugged-in root, so the serving certificate was re-issued too.
      assertThat(ca.citadel.servingCertificate().chain().get(1)).isEqualTo(inter);
      assertThat(notified).containsExactly(Pem.encode(root.root()));
      CaServer.await(
          "plugged-in root in " + workload,
          () -> Pem.encode(root.root()).equals(rootCm(client, workload)));
    }

    try (Citadel restarted = new Citadel(CaConfig.defaults(ns))) {
      restarted.start(client);
      assertThat(restarted.signingAuthority().source())
          .isEqualTo(SigningAuthority.Source.PLUGGED_IN);
      assertThat(restarted.root()).isEqualTo(root.root());
    }
  }

  @Test
  void unusableCacertsFailsStartButKeepsARunningCa(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-badplug");
    CaFixtures.PluggedIn plugged = CaFixtures.PluggedIn.create();
    SigningAuthority root = plugged.root();
    X509Certificate inter = plugged.inter();
    Map<String, String> mismatched =
        Map.of(
            "ca-cert.pem", Pem.encode(inter),
            "ca-key.pem", Pem.encode(KeyType.ECDSA_P256.generate()),
            "root-cert.pem", Pem.encode(root.root()));

    try (Citadel running = new Citadel(CaConfig.defaults(ns))) {
      running.start(client);
      X509Certificate selfSigned = running.root();
      CaServer.putSecret(client, ns, "cacerts", mismatched);
      // A later valid update still gets through, so the bad one was read and refused.
      Thread.sleep(500);
      assertThat(running.root()).isEqualTo(selfSigned);
      CaServer.putSecret(
          client,
          ns,
          "cacerts",
          Map.of(
              "ca-cert.pem", Pem.encode(inter),
              "ca-key.pem", Pem.encode(plugged.interKeys()),
              "root-cert.pem", Pem.encode(root.root())));
      CaServer.await("the corrected plugged-in root", () -> running.root().equals(root.root()));
    }

    CaServer.putSecret(client, ns, "cacerts", mismatched);
    try (Citadel fresh = new Citadel(CaConfig.defaults(ns))) {
      assertThatThrownBy(() -> fresh.start(client))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(ns + "/cacerts.ca-key.pem: does not match the public key of ca-cert.pem");
    }
  }

  @Test
  void rootConfigMapIsRestoredAndWrittenIntoNewNamespaces(KubernetesClient client)
      throws Exception {
    String ns = CaServer.namespace(client, "ca-dist");
    String existing = CaServer.namespace(client, "dist-existing");
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns))) {
      citadel.start(client);
      String pem = citadel.rootPem();
      CaServer.await("root in " + existing, () -> pem.equals(rootCm(client, existing)));
      ConfigMap cm = client.configMaps().inNamespace(existing).withName("istio-ca-root-cert").get();
      assertThat(cm.getMetadata().getLabels()).containsEntry("istio.io/config", "true");

      client
          .configMaps()
          .inNamespace(existing)
          .withName("istio-ca-root-cert")
          .edit(
              c -> {
                c.getData().put("root-cert.pem", "tampered");
                return c;
              });
      CaServer.await("edited root restored", () -> pem.equals(rootCm(client, existing)));

      client.configMaps().inNamespace(existing).withName("istio-ca-root-cert").delete();
      CaServer.await("deleted root restored", () -> pem.equals(rootCm(client, existing)));

      String fresh = CaServer.namespace(client, "dist-new");
      CaServer.await("root in new namespace " + fresh, () -> pem.equals(rootCm(client, fresh)));
      assertThat(rootCm(client, "kube-system")).isNull();
    }
  }
}
