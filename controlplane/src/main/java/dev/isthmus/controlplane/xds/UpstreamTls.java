package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.UpstreamHttpProtocolOptions;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import java.util.List;

/**
 * {@code UpstreamTls} is the TLS a cluster originates from a DestinationRule's {@code tls}, as
 * Istio builds it ({@code buildUpstreamClusterTLSContext}):
 *
 * <ul>
 *   <li>{@code ISTIO_MUTUAL}: workload certificate and mesh root, the server required to be one of
 *       the rule's {@code subjectAltNames}, else one of the service's identities ({@link
 *       ServiceAccounts}); SNI the rule's or {@code outbound_.<port>_.<subset>_.<host>};
 *   <li>{@code SIMPLE} and {@code MUTUAL} with {@code credentialName}: client certificate and CA
 *       from the Secret ({@code kubernetes://<name>}, {@code kubernetes://<name>-cacert}) for
 *       gateways and for sidecars a rule's {@code workloadSelector} selects; a sidecar does not
 *       originate TLS from another rule (Istio keeps credentials away from every sidecar a rule
 *       reaches);
 *   <li>{@code SIMPLE} and {@code MUTUAL} otherwise: files in the proxy's container, read by the
 *       agent: {@code clientCertificate}/{@code privateKey} ({@code file-cert:<cert>~<key>}), the
 *       server verified against {@code caCertificates} ({@code file-root:<path>}), or without them
 *       against the system's roots ({@code file-root:system}, Istio's {@code
 *       VERIFY_CERTIFICATE_AT_CLIENT}), with {@code caCrl}; {@code insecureSkipVerify} verifies
 *       nothing. The server must name one of {@code subjectAltNames}; for a ServiceEntry host
 *       without them, one of the entry's identities. A {@code MUTUAL} rule without a client
 *       certificate is refused by validation; should one get here anyway the cluster fails rather
 *       than connecting without a certificate or in plaintext (Istio would send plaintext).
 *   <li>Without {@code sni}, the request's {@code Host} is sent (auto SNI) and, unless {@code
 *       subjectAltNames} are given or verification is skipped, is what the server's certificate
 *       must name (auto SAN validation).
 * </ul>
 *
 * Proxyless gRPC clients get {@code ISTIO_MUTUAL} with certificate providers; for the other modes
 * they get what a credential names, as before.
 */
final class UpstreamTls {
  private UpstreamTls() {}

  /**
   * Sets the cluster's transport socket from {@code tls}.
   *
   * @param clusterSni the SNI of Istio mutual TLS to this cluster
   * @param serviceAccounts the service's identities
   * @param serviceEntry whether the host comes from a ServiceEntry
   * @param ruleSelectsProxy whether the DestinationRule's {@code workloadSelector} selects the
   *     proxy's workload
   */
  static void apply(
      Cluster.Builder b,
      ClientTLSSettings tls,
      ProxyNode proxy,
      String clusterSni,
      List<String> serviceAccounts,
      boolean serviceEntry,
      boolean ruleSelectsProxy) {
    ClientTLSSettingsTLSmode mode = tls.getMode();
    if (mode == null || mode == ClientTLSSettingsTLSmode.DISABLE) {
      return;
    }
    boolean proxyless = proxy.type() == ProxyNode.Type.PROXYLESS_GRPC;
    List<String> sans = tls.getSubjectAltNames() == null ? List.of() : tls.getSubjectAltNames();
    String sni = tls.getSni() == null ? "" : tls.getSni();
    boolean skipVerify = Boolean.TRUE.equals(tls.getInsecureSkipVerify());
    if (mode == ClientTLSSettingsTLSmode.ISTIO_MUTUAL) {
      List<String> names = sans.isEmpty() ? serviceAccounts : sans;
      b.setTransportSocket(
          TlsContexts.upstream(
              proxyless
                  ? TlsContexts.istioMutual(true, names)
                  : TlsContexts.istioMutual(false, names, "istio-peer-exchange", "istio"),
              sni.isEmpty() ? clusterSni : sni));
      return;
    }
    boolean mutual = mode == ClientTLSSettingsTLSmode.MUTUAL;
    String credential = blankToNull(tls.getCredentialName());
    if (proxyless) {
      b.setTransportSocket(
          TlsContexts.upstream(
              credential != null
                  ? TlsContexts.credential(credential, mutual, sans, skipVerify)
                  : CommonTlsContext.getDefaultInstance(),
              sni));
      return;
    }
    if (credential != null && proxy.type() == ProxyNode.Type.SIDECAR && !ruleSelectsProxy) {
      return; // as Istio: no credential from a rule that reaches every sidecar
    }
    List<String> verified = serviceEntry && sans.isEmpty() ? serviceAccounts : sans;
    CommonTlsContext ctx;
    if (credential != null) {
      ctx = TlsContexts.credential(credential, mutual, verified, skipVerify);
    } else {
      String cert = blankToNull(tls.getClientCertificate());
      String key = blankToNull(tls.getPrivateKey());
      if (mutual && (cert == null || key == null)) {
        // validation refuses such a rule; never connect without the certificate it asks for
        throw new IllegalStateException(
            b.getName() + ": MUTUAL needs clientCertificate and privateKey or credentialName");
      }
      ctx =
          TlsContexts.files(
              mutual ? cert : null,
              mutual ? key : null,
              blankToNull(tls.getCaCertificates()),
              blankToNull(tls.getCaCrl()),
              verified,
              skipVerify);
    }
    b.setTransportSocket(TlsContexts.upstream(ctx, sni));
    if (sni.isEmpty()) {
      autoSni(b, sans.isEmpty() && !skipVerify);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** Sets auto SNI in the cluster's HTTP protocol options, keeping the HTTP version they set. */
  private static void autoSni(Cluster.Builder b, boolean sanValidation) {
    Any existing = b.getTypedExtensionProtocolOptionsMap().get(ClusterGenerator.HTTP_OPTIONS);
    HttpProtocolOptions.Builder o;
    try {
      // the upstream protocol is a required field: HTTP/1.1 unless HTTP/2 was set already
      o =
          existing != null
              ? existing.unpack(HttpProtocolOptions.class).toBuilder()
              : HttpProtocolOptions.newBuilder()
                  .setExplicitHttpConfig(
                      HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                          .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
    o.setUpstreamHttpProtocolOptions(
        UpstreamHttpProtocolOptions.newBuilder()
            .setAutoSni(true)
            .setAutoSanValidation(sanValidation));
    b.putTypedExtensionProtocolOptions(ClusterGenerator.HTTP_OPTIONS, Any.pack(o.build()));
  }
}
