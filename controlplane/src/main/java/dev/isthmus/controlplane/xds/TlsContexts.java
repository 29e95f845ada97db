package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateProviderPluginInstance;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/**
 * {@code TlsContexts} builds TLS transport sockets the way Istio does: Envoy fetches workload
 * certificates over SDS from the local agent ({@code sds-grpc} cluster) under the names {@code
 * default} and {@code ROOTCA}; proxyless gRPC reads them from certificate provider instances of the
 * same names.
 */
final class TlsContexts {
  static final String TLS_SOCKET = "envoy.transport_sockets.tls";

  /** SDS name prefix of a client certificate and key read from files by the agent. */
  static final String FILE_CERT = "file-cert:";

  /** SDS name prefix of roots read from a file by the agent. */
  static final String FILE_ROOT = "file-root:";

  /** The file name Istio's agent reads as the operating system's roots. */
  static final String SYSTEM = "system";

  private TlsContexts() {}

  static SdsSecretConfig sds(String name) {
    if (name.startsWith(CredentialSecrets.PREFIX)) {
      // credentialName secrets come from the control plane over the proxy's ADS stream, as
      // istiod serves them; the agent's SDS only has the workload certificate and root
      return SdsSecretConfig.newBuilder()
          .setName(name)
          .setSdsConfig(ClusterGenerator.ads())
          .build();
    }
    return SdsSecretConfig.newBuilder()
        .setName(name)
        .setSdsConfig(
            ConfigSource.newBuilder()
                .setResourceApiVersion(io.envoyproxy.envoy.config.core.v3.ApiVersion.V3)
                .setApiConfigSource(
                    ApiConfigSource.newBuilder()
                        .setApiType(ApiConfigSource.ApiType.GRPC)
                        .setTransportApiVersion(io.envoyproxy.envoy.config.core.v3.ApiVersion.V3)
                        .setSetNodeOnFirstMessageOnly(true)
                        .addGrpcServices(
                            GrpcService.newBuilder()
                                .setEnvoyGrpc(
                                    GrpcService.EnvoyGrpc.newBuilder()
                                        .setClusterName("sds-grpc")))))
        .build();
  }

  /** Istio mutual TLS material: workload certificate and mesh root. */
  static CommonTlsContext istioMutual(boolean proxyless, String... alpn) {
    return istioMutual(proxyless, List.of(), alpn);
  }

  /**
   * Istio mutual TLS material, the peer's certificate also required to name one of {@code sans}
   * (none: any certificate of the mesh CA).
   */
  static CommonTlsContext istioMutual(boolean proxyless, List<String> sans, String... alpn) {
    CertificateValidationContext names = sanMatch(sans);
    CommonTlsContext.Builder b = CommonTlsContext.newBuilder();
    if (proxyless) {
      b.setTlsCertificateProviderInstance(
              CertificateProviderPluginInstance.newBuilder()
                  .setInstanceName(Names.SDS_DEFAULT)
                  .setCertificateName(Names.SDS_DEFAULT))
          .setValidationContext(
              names.toBuilder()
                  .setCaCertificateProviderInstance(
                      CertificateProviderPluginInstance.newBuilder()
                          .setInstanceName(Names.SDS_DEFAULT)
                          .setCertificateName(Names.SDS_ROOTCA)));
    } else {
      b.addTlsCertificateSdsSecretConfigs(sds(Names.SDS_DEFAULT))
          .setCombinedValidationContext(
              CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                  .setDefaultValidationContext(names)
                  .setValidationContextSdsSecretConfig(sds(Names.SDS_ROOTCA)));
    }
    for (String a : alpn) {
      b.addAlpnProtocols(a);
    }
    return b.build();
  }

  /**
   * Client TLS from a credential stored in a Kubernetes secret, Istio's naming: the client
   * certificate (with {@code mutual}) from {@code kubernetes://<name>}, the server verified against
   * {@code kubernetes://<name>-cacert} and required to name one of {@code sans} (none: any name),
   * unless {@code skipVerify}.
   */
  static CommonTlsContext credential(
      String credentialName, boolean mutual, List<String> sans, boolean skipVerify) {
    CommonTlsContext.Builder b = CommonTlsContext.newBuilder();
    if (mutual) {
      b.addTlsCertificateSdsSecretConfigs(sds("kubernetes://" + credentialName));
    }
    if (!skipVerify) {
      b.setCombinedValidationContext(
          CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
              .setDefaultValidationContext(sanMatch(sans))
              .setValidationContextSdsSecretConfig(
                  sds("kubernetes://" + credentialName + "-cacert")));
    }
    return b.build();
  }

  /**
   * Client TLS from files in the proxy's container, served by the agent's SDS as Istio names them:
   * the client certificate {@code file-cert:<certificate>~<key>} (when both are given), the server
   * verified against {@code file-root:<caCertificates>} ({@code file-root:system}, the operating
   * system's roots, when no CA is given) with the CRL file {@code crl} and required to name one of
   * {@code sans}, unless {@code skipVerify}: then not verified at all.
   */
  static CommonTlsContext files(
      String certificate,
      String key,
      String caCertificates,
      String crl,
      List<String> sans,
      boolean skipVerify) {
    CommonTlsContext.Builder b = CommonTlsContext.newBuilder();
    if (certificate != null && key != null) {
      b.addTlsCertificateSdsSecretConfigs(sds(FILE_CERT + certificate + "~" + key));
    }
    if (skipVerify) {
      b.setValidationContext(CertificateValidationContext.getDefaultInstance());
    } else {
      CertificateValidationContext.Builder v = sanMatch(sans).toBuilder();
      if (crl != null && !crl.isEmpty()) {
        v.setCrl(DataSource.newBuilder().setFilename(crl));
      }
      b.setCombinedValidationContext(
          CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
              .setDefaultValidationContext(v)
              .setValidationContextSdsSecretConfig(
                  sds(
                      FILE_ROOT
                          + (caCertificates == null || caCertificates.isEmpty()
                              ? SYSTEM
                              : caCertificates))));
    }
    return b.build();
  }

  /** A validation context that requires one of {@code sans} exactly (nothing when empty). */
  @SuppressWarnings("deprecation") // Istio sets match_subject_alt_names; Envoy still honours it
  static CertificateValidationContext sanMatch(List<String> sans) {
    CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
    for (String s : sans) {
      v.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(s));
    }
    return v.build();
  }

  static TransportSocket upstream(CommonTlsContext ctx, String sni) {
    UpstreamTlsContext.Builder u = UpstreamTlsContext.newBuilder().setCommonTlsContext(ctx);
    if (sni != null && !sni.isEmpty()) {
      u.setSni(sni);
    }
    return TransportSocket.newBuilder()
        .setName(TLS_SOCKET)
        .setTypedConfig(Any.pack(u.build()))
        .build();
  }

  static TransportSocket downstream(CommonTlsContext ctx, boolean requireClientCert) {
    DownstreamTlsContext d =
        DownstreamTlsContext.newBuilder()
            .setCommonTlsContext(ctx)
            .setRequireClientCertificate(BoolValue.of(requireClientCert))
            .build();
    return TransportSocket.newBuilder().setName(TLS_SOCKET).setTypedConfig(Any.pack(d)).build();
  }
}
