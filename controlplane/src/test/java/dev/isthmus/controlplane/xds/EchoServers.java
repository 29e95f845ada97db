package dev.isthmus.controlplane.xds;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A trivial gRPC service for tests: {@code isthmus.test.Echo/Who} answers with the name of the
 * server that handled the call. Messages are UTF-8 strings; no proto needed.
 */
final class EchoServers {
  static final MethodDescriptor.Marshaller<String> STRING =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final MethodDescriptor<String, String> WHO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("isthmus.test.Echo/Who")
          .setRequestMarshaller(STRING)
          .setResponseMarshaller(STRING)
          .build();

  private EchoServers() {}

  /** Starts an echo server bound to one loopback address only. */
  static Server startOn(String address, String name) throws IOException {
    ServerServiceDefinition def =
        ServerServiceDefinition.builder("isthmus.test.Echo")
            .addMethod(
                WHO,
                ServerCalls.asyncUnaryCall(
                    (req, obs) -> {
                      obs.onNext(name);
                      obs.onCompleted();
                    }))
            .build();
    return io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
            new InetSocketAddress(address, 0))
        .addService(def)
        .build()
        .start();
  }

  /**
   * A grpc-java xDS bootstrap against the control plane's plaintext port, as Istio's agent writes
   * it for proxyless workloads.
   */
  static java.util.Map<String, Object> bootstrap(
      int xdsPort, String nodeId, java.util.Map<String, Object> metadata) {
    java.util.Map<String, Object> b = new java.util.LinkedHashMap<>();
    b.put(
        "xds_servers",
        java.util.List.of(
            java.util.Map.of(
                "server_uri", "127.0.0.1:" + xdsPort,
                "channel_creds", java.util.List.of(java.util.Map.of("type", "insecure")),
                "server_features", java.util.List.of("xds_v3"))));
    b.put("node", java.util.Map.of("id", nodeId, "metadata", metadata));
    return b;
  }

  /** One call; returns the answering server's name. */
  static String who(Channel ch) {
    return ClientCalls.blockingUnaryCall(
        ch, WHO, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hi");
  }
}
