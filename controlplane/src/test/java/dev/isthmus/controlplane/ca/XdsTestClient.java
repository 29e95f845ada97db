package dev.isthmus.controlplane.ca;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;

/** An xDS client's side of the TLS port, for the tests of authenticated xDS. */
final class XdsTestClient {
  private XdsTestClient() {}

  /**
   * A channel to the TLS xDS port trusting {@code citadel}'s root and checking the istiod host
   * name, with {@code authorization: Bearer <bearer>} on every call when {@code bearer} is set.
   */
  static ManagedChannel secure(Citadel citadel, int port, String bearer) throws IOException {
    var b =
        Grpc.newChannelBuilderForAddress(
                "127.0.0.1",
                port,
                TlsChannelCredentials.newBuilder()
                    .trustManager(
                        new ByteArrayInputStream(
                            citadel.rootPem().getBytes(StandardCharsets.UTF_8)))
                    .build())
            .overrideAuthority("istiod." + citadel.config().namespace() + ".svc");
    if (bearer != null) {
      Metadata headers = new Metadata();
      headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + bearer);
      b.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return b.build();
  }

  /** Puts responses and the stream's error, in order, into {@code in}. */
  static <T> StreamObserver<T> sink(BlockingQueue<Object> in) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        in.add(value);
      }

      @Override
      public void onError(Throwable t) {
        in.add(t);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
