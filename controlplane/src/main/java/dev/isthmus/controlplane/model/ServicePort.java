package dev.isthmus.controlplane.model;

import java.util.Locale;

/**
 * {@code ServicePort} is one port of a {@link MeshService}: the port clients dial, the port the
 * workload listens on and the application protocol.
 *
 * @param name port name ({@code http-web}); may be empty
 * @param port service port number
 * @param targetPort workload port number (equal to {@code port} when unknown)
 * @param protocol application protocol
 */
public record ServicePort(String name, int port, int targetPort, Protocol protocol) {

  /** Protocols Istio distinguishes when building listeners and clusters. */
  public enum Protocol {
    HTTP,
    HTTP2,
    GRPC,
    HTTPS,
    TLS,
    TCP;

    /** Whether traffic on this protocol is routed by an HTTP connection manager. */
    public boolean isHttp() {
      return this == HTTP || this == HTTP2 || this == GRPC;
    }

    /** Whether the upstream speaks HTTP/2. */
    public boolean isHttp2() {
      return this == HTTP2 || this == GRPC;
    }

    /**
     * Parses an Istio protocol name or a port-name prefix ({@code grpc-foo}); unknown values are
     * {@link #TCP}, as in Istio.
     */
    public static Protocol parse(String value) {
      if (value == null || value.isEmpty()) {
        return TCP;
      }
      String v = value.toLowerCase(Locale.ROOT);
      int dash = v.indexOf('-');
      if (dash > 0) {
        v = v.substring(0, dash);
      }
      return switch (v) {
        case "http", "http1.1", "kubernetes.io/h1c" -> HTTP;
        case "http2", "h2c", "kubernetes.io/h2c" -> HTTP2;
        case "grpc", "grpc-web" -> GRPC;
        case "https" -> HTTPS;
        case "tls" -> TLS;
        default -> TCP;
      };
    }
  }
}
