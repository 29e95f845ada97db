package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The health reports Istio's agent sends on its ADS stream when it probes its workload ({@code
 * istio.v1.HealthInformation}, an error detail when unhealthy) are taken as istiod takes them: not
 * answered (the agent would log each answer as a type it cannot forward to Envoy) and not counted
 * as rejected pushes.
 */
class AgentHealthReportTest {
  static final String HEALTH = "type.googleapis.com/istio.v1.HealthInformation";

  XdsMetrics metrics;
  LocalAds ads;
  AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub;

  @BeforeEach
  void start() throws Exception {
    var mesh = Fixtures.build(Fixtures.reviews());
    metrics = new XdsMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    ads = LocalAds.start(new XdsCache(p -> ResourceGenerator.generate(mesh, p)), metrics);
    stub = ads.stub();
  }

  @AfterEach
  void stop() throws InterruptedException {
    ads.close();
  }

  @Test
  void deltaHealthReportsAreNotAnsweredNorRejections() throws Exception {
    AdsProtocolTest.Inbox<DeltaDiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DeltaDiscoveryRequest> out = stub.deltaAggregatedResources(in);
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(AdsProtocolTest.SIDECAR)
            .setTypeUrl(Resources.V3.LISTENER_TYPE_URL)
            .build());
    assertThat(in.next().getTypeUrl()).isEqualTo(Resources.V3.LISTENER_TYPE_URL);
    out.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(HEALTH).build());
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(HEALTH)
            .setErrorDetail(Status.newBuilder().setCode(13).setMessage("readiness probe failed"))
            .build());
    assertThat(in.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();
    assertThat(metrics.rejects("other")).isZero();
    // the stream goes on
    out.onNext(
        DeltaDiscoveryRequest.newBuilder().setTypeUrl(Resources.V3.CLUSTER_TYPE_URL).build());
    assertThat(in.next().getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
    assertThat(in.errors).isEmpty();
    out.onCompleted();
  }

  @Test
  void sotwHealthReportsAreNotAnsweredEither() throws Exception {
    AdsProtocolTest.Inbox<DiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DiscoveryRequest> out = stub.streamAggregatedResources(in);
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(AdsProtocolTest.SIDECAR)
            .setTypeUrl(Resources.V3.LISTENER_TYPE_URL)
            .build());
    assertThat(in.next().getTypeUrl()).isEqualTo(Resources.V3.LISTENER_TYPE_URL);
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(HEALTH)
            .setErrorDetail(Status.newBuilder().setCode(13).setMessage("readiness probe failed"))
            .build());
    assertThat(in.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();
    assertThat(metrics.rejects("other")).isZero();
    assertThat(in.errors).isEmpty();
    out.onCompleted();
  }
}
