package dev.isthmus.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isthmus.controlplane.model.SecuritySettings;
import org.junit.jupiter.api.Test;

/** What policy translation reads from the mesh config. */
class MeshConfigWatchTest {
  @Test
  void noMeshConfigMeansTheDefaultTrustDomainAndNothingElse() {
    SecuritySettings s = MeshConfigWatch.parse(null, "cluster.local");
    assertThat(s.trustDomain()).isEqualTo("cluster.local");
    assertThat(s.trustDomainAliases()).isEmpty();
    assertThat(s.extensionProviders()).isEmpty();
  }

  @Test
  void trustDomainAliasesAndExtAuthzProvidersAreRead() {
    SecuritySettings s =
        MeshConfigWatch.parse(
            """
            trustDomain: td1
            trustDomainAliases: [cluster.local, old-td]
            extensionProviders:
            - name: opa
              envoyExtAuthzGrpc:
                service: opa.opa.svc.cluster.local
                port: 9191
            - name: zipkin
              zipkin:
                service: zipkin.istio-system.svc.cluster.local
                port: 9411
            """,
            "cluster.local");
    assertThat(s.trustDomain()).isEqualTo("td1");
    assertThat(s.trustDomainAliases()).containsExactly("cluster.local", "old-td");
    assertThat(s.extensionProviders()).as("only ext_authz providers matter to policies").hasSize(1);
  }

  @Test
  void aMalformedMeshConfigIsRefusedNamingIt() {
    assertThatThrownBy(() -> MeshConfigWatch.parse("trustDomain: [unclosed", "cluster.local"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("mesh: cannot parse");
  }
}
