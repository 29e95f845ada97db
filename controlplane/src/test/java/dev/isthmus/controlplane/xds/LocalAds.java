package dev.isthmus.controlplane.xds;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** {@code LocalAds} serves one {@link AdsService} on a loopback port with a client stub to it. */
record LocalAds(
    Server server,
    ManagedChannel channel,
    AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub)
    implements AutoCloseable {

  static LocalAds start(XdsCache cache, XdsMetrics metrics) throws IOException {
    Server server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(new AdsService(cache, metrics))
            .build()
            .start();
    ManagedChannel channel =
        Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(), InsecureChannelCredentials.create())
            .build();
    return new LocalAds(server, channel, AggregatedDiscoveryServiceGrpc.newStub(channel));
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
