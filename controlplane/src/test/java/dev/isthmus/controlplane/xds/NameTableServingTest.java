package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.xds.proto.NameTable;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The DNS name table (NDS) on ADS as Istio's agent asks for it: a request without names, Delta or
 * SotW, from a proxy whose node says {@code DNS_CAPTURE}; answered with the table, pushed again
 * when a service changes, never re-sent when nothing did.
 */
class NameTableServingTest {
  static final String NDS = NameTableGenerator.TYPE_URL;
  static final String HOST = "reviews.default.svc.cluster.local";
  static final Node CAPTURING =
      Fixtures.node(
          "sidecar~10.1.0.9~productpage.default~default.svc.cluster.local",
          Map.of("DNS_CAPTURE", "true"));

  final AtomicReference<MeshSnapshot> mesh = new AtomicReference<>();
  XdsCache cache;
  LocalAds ads;
  AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub;

  @BeforeEach
  void start() throws Exception {
    mesh.set(Fixtures.build(Fixtures.reviews()));
    cache = new XdsCache(p -> ResourceGenerator.generate(mesh.get(), p));
    ads =
        LocalAds.start(
            cache, new XdsMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    stub = ads.stub();
  }

  @AfterEach
  void stop() throws InterruptedException {
    ads.close();
  }

  @Test
  void deltaNameTableIsSentThenPushedWhenAServiceChanges() throws Exception {
    AdsProtocolTest.Inbox<DeltaDiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DeltaDiscoveryRequest> out = stub.deltaAggregatedResources(in);
    out.onNext(DeltaDiscoveryRequest.newBuilder().setNode(CAPTURING).setTypeUrl(NDS).build());
    DeltaDiscoveryResponse first = in.next();
    assertThat(first.getTypeUrl()).isEqualTo(NDS);
    NameTable table = first.getResources(0).getResource().unpack(NameTable.class);
    assertThat(table.getTableMap().get(HOST).getIpsList()).containsExactly("10.96.0.10");
    assertThat(table.getTableMap().get(HOST).getShortname()).isEqualTo("reviews");
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(NDS)
            .setResponseNonce(first.getNonce())
            .build());

    // a push that changes nothing for the table sends nothing
    push(Fixtures.reviews());
    ClusterState moved = Fixtures.reviews();
    moved.services().get(0).getSpec().setClusterIP("10.96.0.77");
    push(moved);

    DeltaDiscoveryResponse update = in.next();
    assertThat(update.getTypeUrl()).isEqualTo(NDS);
    assertThat(
            update
                .getResources(0)
                .getResource()
                .unpack(NameTable.class)
                .getTableMap()
                .get(HOST)
                .getIpsList())
        .containsExactly("10.96.0.77");
    assertThat(in.messages).isEmpty();
    out.onCompleted();
  }

  @Test
  void sotwNameTableAnswersTheRequestAndNotItsAck() throws Exception {
    AdsProtocolTest.Inbox<DiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DiscoveryRequest> out = stub.streamAggregatedResources(in);
    out.onNext(DiscoveryRequest.newBuilder().setNode(CAPTURING).setTypeUrl(NDS).build());
    DiscoveryResponse first = in.next();
    assertThat(first.getResources(0).unpack(NameTable.class).getTableMap()).containsKey(HOST);
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(NDS)
            .setVersionInfo(first.getVersionInfo())
            .setResponseNonce(first.getNonce())
            .build());
    assertThat(in.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();
    assertThat(in.errors).isEmpty();
    out.onCompleted();
  }

  private void push(ClusterState state) {
    mesh.set(Fixtures.build(state));
    for (XdsCache.Stream st : cache.streams()) {
      cache.setResources(st.key(), ResourceGenerator.generate(mesh.get(), st.proxy()));
    }
  }
}
