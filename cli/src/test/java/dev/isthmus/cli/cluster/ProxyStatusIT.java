package dev.isthmus.cli.cluster;

import static dev.isthmus.cli.cluster.ClusterVerbsFixture.client;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.namespace;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.isthmus.cli.cluster.VerbRunner.Run;
import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code isthmus proxy-status} against an in-process control plane and a simulated proxy on a
 * State-of-the-World ADS stream that acknowledges clusters, leaves listeners unacknowledged and
 * never asks for endpoints, routes or extension configs.
 */
class ProxyStatusIT {
  static final String NS = "ps-it";

  @Test
  void tableShowsSyncedStaleAndNotSent() throws Exception {
    namespace(NS);
    try (ControlPlane cp =
        ControlPlane.start(
            ControlPlaneConfig.defaults()
                .withEphemeralPorts()
                .withDebounce(Duration.ofMillis(20), Duration.ofMillis(200)),
            client())) {
      ManagedChannel ch =
          Grpc.newChannelBuilder("127.0.0.1:" + cp.xdsPort(), InsecureChannelCredentials.create())
              .build();
      try {
        BlockingQueue<DiscoveryResponse> in = new LinkedBlockingQueue<>();
        StreamObserver<DiscoveryRequest> out =
            AggregatedDiscoveryServiceGrpc.newStub(ch)
                .streamAggregatedResources(
                    new StreamObserver<>() {
                      @Override
                      public void onNext(DiscoveryResponse r) {
                        in.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    });
        Node node =
            Node.newBuilder()
                .setId("sidecar~10.1.0.9~pp." + NS + "~" + NS + ".svc.cluster.local")
                .setMetadata(
                    Struct.newBuilder()
                        .putFields("CLUSTER_ID", str("Kubernetes"))
                        .putFields("ISTIO_VERSION", str("1.28.1"))
                        .putFields("NAMESPACE", str(NS)))
                .build();
        out.onNext(
            DiscoveryRequest.newBuilder()
                .setNode(node)
                .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
                .build());
        DiscoveryResponse cds = next(in, Resources.V3.CLUSTER_TYPE_URL);
        out.onNext(
            DiscoveryRequest.newBuilder()
                .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
                .setVersionInfo(cds.getVersionInfo())
                .setResponseNonce(cds.getNonce())
                .build());
        out.onNext(
            DiscoveryRequest.newBuilder().setTypeUrl(Resources.V3.LISTENER_TYPE_URL).build());
        next(in, Resources.V3.LISTENER_TYPE_URL);

        String address = "127.0.0.1:" + cp.monitoringPort();
        Run r = null;
        for (int i = 0; i < 50; i++) {
          r = run("proxy-status", "--debug-address", address);
          if (r.out().contains("SYNCED")) {
            break;
          }
          Thread.sleep(100);
        }
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().findFirst().orElse(""))
            .matches("NAME +CLUSTER +CDS +LDS +EDS +RDS +ECDS +ISTIOD +VERSION");
        assertThat(r.out())
            .containsPattern(
                "(?m)^pp\\.ps-it +Kubernetes +SYNCED +STALE +NOT SENT +NOT SENT +NOT SENT +\\S+"
                    + " +1\\.28\\.1$");

        Run one = run("proxy-status", "pp." + NS, "--debug-address", address);
        assertThat(one.code()).isZero();
        assertThat(one.out().lines().count()).isEqualTo(2);

        Run missing = run("proxy-status", "nobody." + NS, "--debug-address", address);
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("proxy nobody.ps-it is not connected");
        out.onCompleted();
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void unreachableOrAbsentControlPlaneExitsOneSayingWhere() {
    Run noService = run("proxy-status", "-r", "nosuchrev");
    assertThat(noService.code()).isEqualTo(1);
    assertThat(noService.err()).contains("istio-system/istiod-nosuchrev");

    Run badAddress = run("proxy-status", "--debug-address", "not an address");
    assertThat(badAddress.code()).isEqualTo(1);
    assertThat(badAddress.err()).contains("--debug-address not an address: expected HOST:PORT");
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static DiscoveryResponse next(BlockingQueue<DiscoveryResponse> in, String type)
      throws InterruptedException {
    while (true) {
      DiscoveryResponse r = in.poll(30, TimeUnit.SECONDS);
      assertThat(r).as("a " + type + " response").isNotNull();
      if (r.getTypeUrl().equals(type)) {
        return r;
      }
    }
  }
}
