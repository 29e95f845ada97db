package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.testing.KubeObjects;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Secrets that can never be TLS credentials, however many a tenant creates, are not held by the
 * credential store: the API server filters them out, so they cost the control plane no memory.
 */
@WithKubeApiServer
@Tag("hostile")
class HostileCredentialSecretsIT {

  private static String namespace(KubernetesClient client, String prefix) {
    String name = prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  private static void secret(
      KubernetesClient client,
      String ns,
      String name,
      String type,
      Map<String, String> annotations,
      Map<String, String> data) {
    client
        .secrets()
        .inNamespace(ns)
        .resource(
            KubeObjects.secret(ns, name, data)
                .editMetadata()
                .withAnnotations(annotations)
                .endMetadata()
                .withType(type)
                .build())
        .create();
  }

  private static void serviceAccountToken(KubernetesClient client, String ns, String name) {
    Map<String, String> owner = Map.of("kubernetes.io/service-account.name", "default");
    Map<String, String> token = Map.of("token", "not-a-real-token");
    secret(client, ns, name, "kubernetes.io/service-account-token", owner, token);
  }

  private static void helmRelease(KubernetesClient client, String ns, String name) {
    String release = "H4sIAAAAAAAA/6pWKkktLlGyUlAqS8wpTgUAAAD//w==";
    secret(client, ns, name, "helm.sh/release.v1", Map.of(), Map.of("release", release));
  }

  private static void tls(KubernetesClient client, String ns, String name) {
    Map<String, String> pair = Map.of("tls.crt", "cert", "tls.key", "key");
    secret(client, ns, name, "kubernetes.io/tls", Map.of(), pair);
  }

  private static List<String> cachedIn(CredentialStore store, String ns) {
    return store.cachedKeys().stream().filter(k -> k.startsWith(ns + "/")).sorted().toList();
  }

  @Test
  void serviceAccountTokensAndHelmReleasesAreNeverCached(KubernetesClient client) throws Exception {
    String ns = namespace(client, "creds-filter");
    serviceAccountToken(client, ns, "sa-token-before");
    helmRelease(client, ns, "sh.helm.release.v1.app.v1");
    tls(client, ns, "gateway-cert");

    AtomicInteger changes = new AtomicInteger();
    try (CredentialStore store = new CredentialStore(client, changes::incrementAndGet)) {
      assertThat(cachedIn(store, ns)).containsExactly(ns + "/gateway-cert");
      assertThat(store.data(ns, "gateway-cert")).containsKeys("tls.crt", "tls.key");

      // Created while watching: the watch is filtered as the list was.
      serviceAccountToken(client, ns, "sa-token-after");
      helmRelease(client, ns, "sh.helm.release.v1.app.v2");
      tls(client, ns, "gateway-cert-2");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!cachedIn(store, ns).contains(ns + "/gateway-cert-2")) {
        assertThat(System.nanoTime()).as("gateway-cert-2 cached in time").isLessThan(deadline);
        Thread.sleep(50);
      }
      assertThat(cachedIn(store, ns)).containsExactly(ns + "/gateway-cert", ns + "/gateway-cert-2");
      assertThat(store.cachedKeys())
          .noneMatch(k -> k.contains("sa-token") || k.contains("sh.helm.release"));
    }
  }
}
