package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateProviderPluginInstance;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;

/**
 * {@code TlsContexts} builds TLS transport sockets the way Istio does: Envoy fetches workload
 * certificates over SDS from the local agent ({@code sds-grpc} cluster) under the names {@code
 * default} and {@code ROOTCA}; proxyless gRPC reads them from certificate provider instances of the
 * same names.
 */
final class TlsContexts {
  static final String TLS_SOCKET = "envoy.transport_sockets.tls";

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
    CommonTlsContext.Builder b = CommonTlsContext.newBuilder();
    if (proxyless) {
      b.setTlsCertificateProviderInstance(
              CertificateProviderPluginInstance.newBuilder()
                  .setInstanceName(Names.SDS_DEFAULT)
                  .setCertificateName(Names.SDS_DEFAULT))
          .setValidationContext(
              CertificateValidationContext.newBuilder()
                  .setCaCertificateProviderInstance(
                      CertificateProviderPluginInstance.newBuilder()
                          .setInstanceName(Names.SDS_DEFAULT)
                          .setCertificateName(Names.SDS_ROOTCA)));
    } else {
      b.addTlsCertificateSdsSecretConfigs(sds(Names.SDS_DEFAULT))
          .setCombinedValidationContext(
              CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                  .setDefaultValidationContext(CertificateValidationContext.getDefaultInstance())
                  .setValidationContextSdsSecretConfig(sds(Names.SDS_ROOTCA)));
    }
    for (String a : alpn) {
      b.addAlpnProtocols(a);
    }
    return b.build();
  }

  /** Client TLS from a credential stored in a Kubernetes secret, Istio's naming. */
  static CommonTlsContext credential(String credentialName, boolean mutual) {
    CommonTlsContext.Builder b = CommonTlsContext.newBuilder();
    if (mutual) {
      b.addTlsCertificateSdsSecretConfigs(sds("kubernetes://" + credentialName));
    }
    b.setCombinedValidationContext(
        CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
            .setDefaultValidationContext(CertificateValidationContext.getDefaultInstance())
            .setValidationContextSdsSecretConfig(
                sds("kubernetes://" + credentialName + "-cacert")));
    return b.build();
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
