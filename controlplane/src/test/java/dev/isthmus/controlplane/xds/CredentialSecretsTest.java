package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CredentialSecretsTest {
  static final Map<String, Map<String, Map<String, String>>> SECRETS =
      Map.of(
          "istio-system",
          Map.of(
              "tls-cred", Map.of("tls.crt", b64("CERT"), "tls.key", b64("KEY")),
              "mtls-cred",
                  Map.of("tls.crt", b64("CERT2"), "tls.key", b64("KEY2"), "ca.crt", b64("CA2")),
              "generic", Map.of("cert", b64("GCERT"), "key", b64("GKEY"), "cacert", b64("GCA")),
              "split", Map.of("tls.crt", b64("SCERT"), "tls.key", b64("SKEY")),
              "split-cacert", Map.of("ca.crt", b64("SCA")),
              "no-key", Map.of("tls.crt", b64("C"))),
          "other",
          Map.of("tls-cred", Map.of("tls.crt", b64("OTHER"), "tls.key", b64("OTHER"))));

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static List<Secret> gen(String... names) {
    return CredentialSecrets.generate(
        List.of(names), "istio-system", (ns, name) -> SECRETS.getOrDefault(ns, Map.of()).get(name));
  }

  @Test
  void tlsSecretBecomesACertificate() {
    Secret s = gen("kubernetes://tls-cred").get(0);
    assertThat(s.getName()).isEqualTo("kubernetes://tls-cred");
    assertThat(s.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8())
        .isEqualTo("CERT");
    assertThat(s.getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8())
        .isEqualTo("KEY");
  }

  @Test
  void caBundleFromTheSameSecretFromAGenericSecretOrFromADedicatedOne() {
    assertThat(ca(gen("kubernetes://mtls-cred-cacert"))).isEqualTo("CA2");
    assertThat(ca(gen("kubernetes://generic-cacert"))).isEqualTo("GCA");
    assertThat(ca(gen("kubernetes://split-cacert"))).isEqualTo("SCA");
    Secret generic = gen("kubernetes://generic").get(0);
    assertThat(generic.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8())
        .isEqualTo("GCERT");
  }

  @Test
  void missingOrIncompleteSecretsAndOtherNamespacesYieldNothing() {
    assertThat(gen("kubernetes://absent")).isEmpty();
    assertThat(gen("kubernetes://no-key")).isEmpty();
    assertThat(gen("kubernetes://tls-cred-cacert")).as("no CA anywhere").isEmpty();
    assertThat(gen("kubernetes://other/tls-cred")).isEmpty();
    assertThat(gen("kubernetes://istio-system/tls-cred")).hasSize(1);
    assertThat(gen("default", "ROOTCA", "file-cert:/a~/b")).isEmpty();
  }

  @Test
  void referencedNamesComeFromListenersAndClusters() {
    DownstreamTlsContext down =
        DownstreamTlsContext.newBuilder()
            .setCommonTlsContext(
                CommonTlsContext.newBuilder()
                    .addTlsCertificateSdsSecretConfigs(sds("kubernetes://gw-cred"))
                    .setValidationContextSdsSecretConfig(sds("kubernetes://gw-cred-cacert")))
            .build();
    Listener l =
        Listener.newBuilder()
            .setName("0.0.0.0_443")
            .addFilterChains(
                FilterChain.newBuilder()
                    .setTransportSocket(
                        TransportSocket.newBuilder()
                            .setName(TlsContexts.TLS_SOCKET)
                            .setTypedConfig(Any.pack(down))))
            .build();
    UpstreamTlsContext up =
        UpstreamTlsContext.newBuilder()
            .setCommonTlsContext(
                CommonTlsContext.newBuilder()
                    .addTlsCertificateSdsSecretConfigs(sds("kubernetes://client-cred"))
                    .addTlsCertificateSdsSecretConfigs(sds("default")))
            .build();
    Cluster c =
        Cluster.newBuilder()
            .setName("outbound|443||api.example.com")
            .setTransportSocket(
                TransportSocket.newBuilder()
                    .setName(TlsContexts.TLS_SOCKET)
                    .setTypedConfig(Any.pack(up)))
            .build();
    assertThat(CredentialSecrets.referenced(List.of(l), List.of(c)))
        .containsExactly(
            "kubernetes://client-cred", "kubernetes://gw-cred", "kubernetes://gw-cred-cacert");
  }

  private static SdsSecretConfig sds(String name) {
    return SdsSecretConfig.newBuilder().setName(name).build();
  }

  private static String ca(List<Secret> s) {
    assertThat(s).hasSize(1);
    return s.get(0).getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8();
  }
}
