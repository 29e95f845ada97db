package dev.isthmus.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.webhooks.CaBundleLeaseIT;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A control plane run out of cluster ({@code isthmus controlplane} on a workstation) is called by
 * the real API server through a webhook URL on 127.0.0.1: its serving certificate must name that
 * address, or the API server refuses the TLS handshake and every Istio resource is refused with it.
 * The caBundle is the one the control plane itself patches into its revision's configuration.
 */
@WithKubeApiServer
class OutOfClusterWebhookIT {
  @Test
  void theApiServerCallsTheValidationWebhookByLoopbackUrl(KubernetesClient client)
      throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String ns = "ooc-" + run;
    String apps = "ooc-apps-" + run;
    for (String n : List.of(ns, apps)) {
      client
          .namespaces()
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(n)
                  .addToLabels("ooc", run)
                  .endMetadata()
                  .build())
          .create();
    }
    try (Istiod istiod =
        Istiod.start(
            ControlPlaneConfig.defaults()
                .withEphemeralPorts()
                .withNamespace(ns)
                .withServingNames(List.of("localhost", "127.0.0.1")),
            0,
            client,
            Duration.ofSeconds(4))) {
      String name = "ooc-validator-" + run;
      CaBundleLeaseIT.create(
          client,
          name,
          "default",
          "https://127.0.0.1:" + istiod.webhooks().port() + "/validate",
          "ooc",
          run,
          "Fail");
      VirtualService bad =
          Serialization.unmarshal(
              """
              apiVersion: networking.istio.io/v1
              kind: VirtualService
              metadata:
                name: bad-subset
              spec:
                hosts: [reviews]
                http:
                  - route:
                      - destination: {host: reviews, subset: v1_beta}
              """,
              VirtualService.class);
      // until the caBundle is patched the call fails; give up on anything else after a minute
      String refusal = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline
          && (refusal == null || !refusal.contains("denied the request"))) {
        try {
          client.resource(bad).inNamespace(apps).create();
          client.resource(bad).inNamespace(apps).delete();
          refusal = "accepted";
        } catch (KubernetesClientException e) {
          refusal = e.getMessage();
        }
        TimeUnit.MILLISECONDS.sleep(200);
      }
      assertThat(refusal)
          .as("the webhook was called over verified TLS and refused the VirtualService")
          .contains("admission webhook \"rev.validation.istio.io\" denied the request")
          .contains("subset is invalid");
    }
  }
}
