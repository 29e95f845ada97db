package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;

/**
 * {@code AutoMtls} is Istio's automatic mutual TLS on the client side ({@code enableAutoMtls}, on
 * by default): a cluster whose DestinationRule sets no TLS talks Istio mutual TLS to endpoints
 * whose workload carries a sidecar ({@code security.istio.io/tlsMode: istio}, which injection adds)
 * and plaintext to the others, chosen per endpoint with {@code transport_socket_matches} on the
 * endpoint metadata {@code envoy.transport_socket_match} — unless the PeerAuthentication of the
 * service's namespace (else the mesh's) is {@code DISABLE}: then plaintext, as Istio infers the
 * server's mode (see {@link PeerAuthentications#namespaceMode}). Proxyless gRPC clients do not get
 * it: grpc-xds refuses transport socket matches.
 */
final class AutoMtls {
  static final String TLS_MODE_LABEL = "security.istio.io/tlsMode";
  static final String ISTIO = "istio";
  static final String MATCH_KEY = "envoy.transport_socket_match";

  /** What EDS puts on an endpoint that has a sidecar. */
  static final Metadata ENDPOINT_METADATA =
      Metadata.newBuilder()
          .putFilterMetadata(
              MATCH_KEY,
              Struct.newBuilder()
                  .putFields("tlsMode", Value.newBuilder().setStringValue(ISTIO).build())
                  .build())
          .build();

  private AutoMtls() {}

  /**
   * Adds the matches; {@code sans} are the service's identities ({@link ServiceAccounts}) the
   * server's certificate must name.
   */
  static void apply(Cluster.Builder b, String sni, java.util.List<String> sans) {
    b.addTransportSocketMatches(
            Cluster.TransportSocketMatch.newBuilder()
                .setName("tlsMode-istio")
                .setMatch(
                    Struct.newBuilder()
                        .putFields("tlsMode", Value.newBuilder().setStringValue(ISTIO).build()))
                .setTransportSocket(
                    TlsContexts.upstream(
                        TlsContexts.istioMutual(false, sans, "istio-peer-exchange", "istio"), sni)))
        .addTransportSocketMatches(
            Cluster.TransportSocketMatch.newBuilder()
                .setName("tlsMode-disabled")
                .setMatch(Struct.getDefaultInstance())
                .setTransportSocket(
                    TransportSocket.newBuilder()
                        .setName("envoy.transport_sockets.raw_buffer")
                        .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance()))));
  }
}
