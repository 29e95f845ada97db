package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CaConfigTest {
  @Test
  void servingNamesCoverTheIstiodServices() {
    assertThat(CaConfig.defaults("istio-system").servingNames())
        .containsExactly(
            "istiod.istio-system.svc",
            "istiod.istio-system.svc.cluster.local",
            "istiod.istio-system");
    assertThat(
            CaConfig.defaults("mesh")
                .withRevision("canary")
                .withServingDnsNames(List.of("istiod.example.com"))
                .servingNames())
        .containsExactly(
            "istiod.mesh.svc",
            "istiod-canary.mesh.svc",
            "istiod.mesh.svc.cluster.local",
            "istiod.mesh",
            "istiod-canary.mesh.svc.cluster.local",
            "istiod-canary.mesh",
            "istiod.example.com");
  }

  @Test
  void invalidValuesNameTheField() {
    CaConfig c = CaConfig.defaults("istio-system");
    assertThatThrownBy(() -> c.withTtls(Duration.ZERO, Duration.ofDays(1)))
        .hasMessage("workloadTtl: must be positive, got PT0S");
    assertThatThrownBy(() -> c.withTtls(Duration.ofDays(2), Duration.ofDays(1)))
        .hasMessage("workloadTtl: must not exceed maxTtl (PT24H), got PT48H");
    assertThatThrownBy(() -> c.withRoot(Duration.ofDays(1), Duration.ofDays(1)))
        .hasMessage("rootGrace: must be shorter than rootTtl (PT24H), got PT24H");
    assertThatThrownBy(() -> c.withAudiences(List.of())).hasMessage("audiences: must not be empty");
    assertThatThrownBy(() -> KeyType.parse("DSA"))
        .hasMessage("keyType: expected RSA_2048 or ECDSA_P256, got 'DSA'");
    assertThat(c.spiffeId("default", "sleep"))
        .isEqualTo("spiffe://cluster.local/ns/default/sa/sleep");
  }
}
