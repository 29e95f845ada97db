package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Whether a proxy may read its namespace's credentials is asked only when its configuration names
 * one, as istiod authorizes only proxies that request {@code kubernetes://} secrets: every sidecar
 * that connects (Istio's agent connects each one with a token) must not cost an access review, nor
 * a warning that it may not list Secrets.
 */
class CredentialAccessTest {
  static final String ID = "spiffe://cluster.local/ns/app/sa/sleep";
  static final ProxyNode SIDECAR =
      new ProxyNode(
          "sidecar~10.1.0.9~sleep-1.app~app.svc.cluster.local",
          ProxyNode.Type.SIDECAR,
          "10.1.0.9",
          "sleep-1",
          "app",
          Map.of());
  static final Map<String, String> CRED = Map.of("tls.crt", "Q0VSVA==", "tls.key", "S0VZ");

  @Test
  void aSidecarNamingNoCredentialIsNotReviewed() {
    List<String> asked = new ArrayList<>();
    ProxyResources plain =
        ProxyResources.of(Map.of(Resources.V3.CLUSTER_TYPE_URL, List.of(cluster("default"))));
    ProxyResources out =
        CredentialSecrets.decorate(SIDECAR, ID, id -> asked.add(id), plain, (ns, name) -> CRED);
    assertThat(asked).isEmpty();
    assertThat(out.resources(Resources.V3.SECRET_TYPE_URL)).isEmpty();
  }

  @Test
  void aProxyNamingACredentialIsReviewedAndServedOnlyWhenAllowed() {
    ProxyResources tls = namingCred();
    List<String> asked = new ArrayList<>();
    ProxyResources denied =
        CredentialSecrets.decorate(SIDECAR, ID, id -> !asked.add(id), tls, (ns, name) -> CRED);
    assertThat(asked).containsExactly(ID);
    assertThat(denied.resources(Resources.V3.SECRET_TYPE_URL)).isEmpty();

    ProxyResources allowed =
        CredentialSecrets.decorate(SIDECAR, ID, id -> true, tls, (ns, name) -> CRED);
    assertThat(allowed.resources(Resources.V3.SECRET_TYPE_URL).keySet())
        .isEqualTo(Set.of("kubernetes://cred"));
  }

  @Test
  void anUnauthenticatedProxyGetsNoCredentialAndIsNotReviewed() {
    ProxyResources tls = namingCred();
    List<String> asked = new ArrayList<>();
    ProxyResources out =
        CredentialSecrets.decorate(SIDECAR, null, id -> asked.add(id), tls, (ns, name) -> CRED);
    assertThat(asked).isEmpty();
    assertThat(out.resources(Resources.V3.SECRET_TYPE_URL)).isEmpty();
  }

  /** Resources whose one cluster presents the credential {@code kubernetes://cred}. */
  private static ProxyResources namingCred() {
    return ProxyResources.of(
        Map.of(Resources.V3.CLUSTER_TYPE_URL, List.of(cluster("kubernetes://cred"))));
  }

  private static Cluster cluster(String certificate) {
    UpstreamTlsContext tls =
        UpstreamTlsContext.newBuilder()
            .setCommonTlsContext(
                CommonTlsContext.newBuilder()
                    .addTlsCertificateSdsSecretConfigs(
                        SdsSecretConfig.newBuilder().setName(certificate)))
            .build();
    return Cluster.newBuilder()
        .setName("outbound|443||egress.example.com")
        .setTransportSocket(
            TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.tls")
                .setTypedConfig(Any.pack(tls)))
        .build();
  }
}
