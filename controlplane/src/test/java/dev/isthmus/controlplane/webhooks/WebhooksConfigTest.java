package dev.isthmus.controlplane.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WebhooksConfigTest {

  @Test
  void defaultRevisionInIstioSystemUsesIstioNames() {
    Webhooks.Config c = Webhooks.Config.of("istio-system", "");
    assertThat(c.revision()).isEqualTo("default");
    assertThat(c.port()).isEqualTo(15017);
    assertThat(c.injectorConfigMap()).isEqualTo("istio-sidecar-injector");
    assertThat(c.meshConfigMap()).isEqualTo("istio");
    assertThat(c.mutatingWebhookName()).isEqualTo("istio-sidecar-injector");
    assertThat(c.validatingWebhookNames())
        .containsExactlyInAnyOrder("istio-validator-istio-system", "istiod-default-validator");
  }

  @Test
  void revisionAndNamespaceAreAppended() {
    Webhooks.Config c = Webhooks.Config.of("mesh-cp", "canary").withListen("127.0.0.1", 0);
    assertThat(c.injectorConfigMap()).isEqualTo("istio-sidecar-injector-canary");
    assertThat(c.meshConfigMap()).isEqualTo("istio-canary");
    assertThat(c.mutatingWebhookName()).isEqualTo("istio-sidecar-injector-canary-mesh-cp");
    assertThat(c.validatingWebhookNames()).containsExactly("istio-validator-canary-mesh-cp");
    assertThat(c.port()).isZero();
    assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
  }
}
