package dev.isthmus.local;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
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
 * {@code Echo} is the demo workload: a gRPC service {@code isthmus.demo.Echo/Who} that answers with
 * the name of the instance that served the call (UTF-8 strings, no proto).
 */
public final class Echo {
  static final MethodDescriptor.Marshaller<String> UTF8 =
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

  public static final MethodDescriptor<String, String> WHO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("isthmus.demo.Echo/Who")
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  private Echo() {}

  /** Starts an instance named {@code name} on {@code address} (a free port). */
  public static Server start(String address, String name) throws IOException {
    ServerServiceDefinition def =
        ServerServiceDefinition.builder("isthmus.demo.Echo")
            .addMethod(
                WHO,
                ServerCalls.asyncUnaryCall(
                    (req, obs) -> {
                      obs.onNext(name);
                      obs.onCompleted();
                    }))
            .build();
    return NettyServerBuilder.forAddress(new InetSocketAddress(address, 0))
        .addService(def)
        .build()
        .start();
  }

  /** One call; the name of the instance that answered. */
  public static String who(Channel channel) {
    return ClientCalls.blockingUnaryCall(
        channel, WHO, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hello");
  }
}
