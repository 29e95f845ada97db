package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

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

  /** A channel to the plaintext xDS port. */
  static ManagedChannel plaintext(int port) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
        .build();
  }

  /** Closes the channels, waiting a little for each. */
  static void close(ManagedChannel... channels) throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** A SotW ADS stream whose responses and error go, in order, into {@code in}. */
  static StreamObserver<DiscoveryRequest> sotw(ManagedChannel channel, BlockingQueue<Object> in) {
    return AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(sink(in));
  }

  /** A Delta ADS stream whose responses and error go, in order, into {@code in}. */
  static StreamObserver<DeltaDiscoveryRequest> delta(
      ManagedChannel channel, BlockingQueue<Object> in) {
    return AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(sink(in));
  }

  /**
   * The control plane serving xDS to {@code citadel}'s workloads on ephemeral ports, pushing soon
   * after a change (20 ms quiet, 200 ms at most).
   */
  static ControlPlane controlPlane(KubernetesClient client, Citadel citadel) {
    return ControlPlane.start(
        ControlPlaneConfig.defaults()
            .withEphemeralPorts()
            .withDebounce(Duration.ofMillis(20), Duration.ofMillis(200)),
        client,
        citadel);
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
