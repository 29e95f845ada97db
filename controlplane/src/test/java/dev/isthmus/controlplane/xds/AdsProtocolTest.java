package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ADS protocol as proxies see it, over a real gRPC connection: Delta and SotW, Istio's unserved
 * type URLs, NACK handling and malformed requests.
 */
class AdsProtocolTest {
  static final String NDS = "type.googleapis.com/istio.networking.nds.v1.NameTable";
  static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
  static final Node SIDECAR =
      Fixtures.node("sidecar~10.1.0.9~productpage.default~default.svc.cluster.local", Map.of());

  final AtomicReference<MeshSnapshot> mesh = new AtomicReference<>();
  XdsCache cache;
  IstioPrometheusRegistry prometheus;
  XdsMetrics metrics;
  LocalAds ads;
  ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    mesh.set(Fixtures.build(Fixtures.reviews()));
    cache = new XdsCache(p -> ResourceGenerator.generate(mesh.get(), p));
    prometheus = new IstioPrometheusRegistry();
    metrics = new XdsMetrics(prometheus.registry());
    ads = LocalAds.start(cache, metrics);
    channel = ads.channel();
  }

  @AfterEach
  void stop() throws InterruptedException {
    ads.close();
  }

  /**
   * Opens a SotW stream on {@code channel} and asks for {@code typeUrl} ({@code names}) as {@code
   * node}.
   */
  static StreamObserver<DiscoveryRequest> openSotw(
      Channel channel,
      StreamObserver<DiscoveryResponse> in,
      Node node,
      String typeUrl,
      String... names) {
    StreamObserver<DiscoveryRequest> out =
        AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(in);
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(typeUrl)
            .addAllResourceNames(List.of(names))
            .build());
    return out;
  }

  /** Opens a Delta stream on {@code channel} and subscribes to {@code typeUrl} as {@code node}. */
  static StreamObserver<DeltaDiscoveryRequest> openDelta(
      Channel channel,
      StreamObserver<DeltaDiscoveryResponse> in,
      Node node,
      String typeUrl,
      String... subscribe) {
    StreamObserver<DeltaDiscoveryRequest> out =
        AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(in);
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(typeUrl)
            .addAllResourceNamesSubscribe(List.of(subscribe))
            .build());
    return out;
  }

  /** Collects responses and the terminal error of a stream. */
  static final class Inbox<T> implements StreamObserver<T> {
    final BlockingQueue<T> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();

    @Override
    public void onNext(T value) {
      messages.add(value);
    }

    @Override
    public void onError(Throwable t) {
      errors.add(t);
    }

    @Override
    public void onCompleted() {}

    T next() throws InterruptedException {
      T m = messages.poll(10, TimeUnit.SECONDS);
      assertThat(m).as("a response within the wait bound").isNotNull();
      return m;
    }
  }

  /** A push with one reviews endpoint fewer, as after a pod went away. */
  void removeReviewsV2() {
    ClusterState s = Fixtures.reviews();
    var slice = s.endpointSlices().get(0);
    slice.getEndpoints().removeIf(e -> e.getAddresses().contains("10.1.0.2"));
    mesh.set(Fixtures.build(s));
    for (XdsCache.Stream st : cache.streams()) {
      cache.setResources(
          st.key(),
          ResourceGenerator.regenerateEndpoints(mesh.get(), st.proxy(), cache.resources(st.key())));
    }
  }

  @Test
  void deltaWildcardClustersThenSubscribedEndpointsThenIncrementalUpdate() throws Exception {
    Inbox<DeltaDiscoveryResponse> in = new Inbox<>();
    StreamObserver<DeltaDiscoveryRequest> out =
        openDelta(channel, in, SIDECAR, Resources.V3.CLUSTER_TYPE_URL);
    DeltaDiscoveryResponse cds = in.next();
    assertThat(cds.getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
    assertThat(cds.getResourcesList())
        .extracting(Resource::getName)
        .contains(REVIEWS, Names.BLACKHOLE, Names.PASSTHROUGH, "inbound|9080||");
    assertThat(cds.getResourcesList()).allSatisfy(r -> assertThat(r.getVersion()).isNotEmpty());
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
            .setResponseNonce(cds.getNonce())
            .build());
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
            .addResourceNamesSubscribe(REVIEWS)
            .build());
    DeltaDiscoveryResponse eds = in.next();
    assertThat(eds.getTypeUrl()).isEqualTo(Resources.V3.ENDPOINT_TYPE_URL);
    assertThat(eds.getResourcesList()).extracting(Resource::getName).containsExactly(REVIEWS);
    assertThat(endpoints(eds.getResources(0))).containsExactly("10.1.0.1", "10.1.0.2", "10.1.0.3");
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
            .setResponseNonce(eds.getNonce())
            .build());

    removeReviewsV2();

    DeltaDiscoveryResponse update = in.next();
    assertThat(update.getTypeUrl()).isEqualTo(Resources.V3.ENDPOINT_TYPE_URL);
    assertThat(update.getResourcesList()).extracting(Resource::getName).containsExactly(REVIEWS);
    assertThat(endpoints(update.getResources(0))).containsExactly("10.1.0.1", "10.1.0.3");
    out.onCompleted();
  }

  private static List<String> endpoints(Resource r) throws Exception {
    ClusterLoadAssignment cla = r.getResource().unpack(ClusterLoadAssignment.class);
    return cla.getEndpointsList().stream()
        .flatMap(l -> l.getLbEndpointsList().stream())
        .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress())
        .sorted()
        .toList();
  }

  static final String PRODUCTPAGE = "outbound|9080||productpage.default.svc.cluster.local";
  static final String RATINGS = "outbound|9080||ratings.default.svc.cluster.local";

  /** A push after a new Service, ratings, was created. */
  void addRatings() {
    ClusterState s = Fixtures.reviews();
    List<io.fabric8.kubernetes.api.model.Service> services = new ArrayList<>(s.services());
    services.add(Fixtures.service("default", "ratings", "http", 9080, 9080));
    mesh.set(Fixtures.build(s.withServices(services)));
    for (XdsCache.Stream st : cache.streams()) {
      cache.setResources(st.key(), ResourceGenerator.generate(mesh.get(), st.proxy()));
    }
  }

  @Test
  void deltaNewServiceSendsOnlyItsOwnAssignment() throws Exception {
    Inbox<DeltaDiscoveryResponse> in = new Inbox<>();
    StreamObserver<DeltaDiscoveryRequest> out =
        openDelta(channel, in, SIDECAR, Resources.V3.CLUSTER_TYPE_URL);
    DeltaDiscoveryResponse cds = in.next();
    out.onNext(ack(Resources.V3.CLUSTER_TYPE_URL, cds.getNonce()));
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
            .addResourceNamesSubscribe(REVIEWS)
            .addResourceNamesSubscribe(PRODUCTPAGE)
            .build());
    DeltaDiscoveryResponse eds = in.next();
    assertThat(eds.getResourcesList())
        .extracting(Resource::getName)
        .containsExactlyInAnyOrder(REVIEWS, PRODUCTPAGE);
    out.onNext(ack(Resources.V3.ENDPOINT_TYPE_URL, eds.getNonce()));

    addRatings();

    DeltaDiscoveryResponse cdsPush = in.next();
    assertThat(cdsPush.getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
    assertThat(cdsPush.getResourcesList()).extracting(Resource::getName).contains(RATINGS);
    // as Envoy: ACK the clusters, then subscribe to the new cluster's endpoints
    out.onNext(ack(Resources.V3.CLUSTER_TYPE_URL, cdsPush.getNonce()));
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
            .addResourceNamesSubscribe(RATINGS)
            .build());
    DeltaDiscoveryResponse edsPush = in.next();
    assertThat(edsPush.getTypeUrl()).isEqualTo(Resources.V3.ENDPOINT_TYPE_URL);
    assertThat(edsPush.getResourcesList())
        .as("the unchanged clusters' assignments are not sent again")
        .extracting(Resource::getName)
        .containsExactly(RATINGS);
    out.onCompleted();
  }

  @Test
  void sotwEndpointChangeSendsOnlyTheChangedAssignment() throws Exception {
    Inbox<DiscoveryResponse> in = new Inbox<>();
    StreamObserver<DiscoveryRequest> out =
        openSotw(channel, in, SIDECAR, Resources.V3.ENDPOINT_TYPE_URL, REVIEWS, PRODUCTPAGE);
    DiscoveryResponse first = in.next();
    assertThat(first.getResourcesCount()).as("a request is answered in full").isEqualTo(2);
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
            .addResourceNames(REVIEWS)
            .addResourceNames(PRODUCTPAGE)
            .setVersionInfo(first.getVersionInfo())
            .setResponseNonce(first.getNonce())
            .build());
    // the push must find the ACK's watch open: a request arriving after it is answered in full
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cache.stateSizes().get("cache.watches") == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(cache.stateSizes().get("cache.watches")).as("the ACK's watch").isEqualTo(1);

    removeReviewsV2();

    DiscoveryResponse push = in.next();
    assertThat(push.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
    assertThat(push.getResourcesList())
        .as("only reviews changed")
        .extracting(Resources::getResourceName)
        .containsExactly(REVIEWS);
    assertThat(endpoints(Resource.newBuilder().setResource(push.getResources(0)).build()))
        .containsExactly("10.1.0.1", "10.1.0.3");
    out.onCompleted();
  }

  private static DeltaDiscoveryRequest ack(String type, String nonce) {
    return DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(nonce).build();
  }

  /** Pushes the full resources of a mesh in which the Service ratings exists or not. */
  void pushWithRatings(boolean present) {
    ClusterState s = Fixtures.reviews();
    List<io.fabric8.kubernetes.api.model.Service> services = new ArrayList<>(s.services());
    if (present) {
      services.add(Fixtures.service("default", "ratings", "http", 9080, 9080));
    }
    mesh.set(Fixtures.build(s.withServices(services)));
    for (XdsCache.Stream st : cache.streams()) {
      cache.setResources(st.key(), ResourceGenerator.generate(mesh.get(), st.proxy()));
    }
  }

  @Test
  void deltaPushesAfterAnAckCarryOnlyTheDifferencesAndRemovals() throws Exception {
    Inbox<DeltaDiscoveryResponse> in = new Inbox<>();
    StreamObserver<DeltaDiscoveryRequest> out =
        openDelta(channel, in, SIDECAR, Resources.V3.CLUSTER_TYPE_URL);
    DeltaDiscoveryResponse cds = in.next();
    out.onNext(ack(Resources.V3.CLUSTER_TYPE_URL, cds.getNonce()));

    pushWithRatings(true);
    DeltaDiscoveryResponse added = in.next();
    assertThat(added.getResourcesList()).extracting(Resource::getName).containsExactly(RATINGS);
    assertThat(added.getRemovedResourcesList()).isEmpty();
    out.onNext(ack(Resources.V3.CLUSTER_TYPE_URL, added.getNonce()));

    // the same resources again: nothing to send
    pushWithRatings(true);
    assertThat(in.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();

    pushWithRatings(false);
    DeltaDiscoveryResponse removed = in.next();
    assertThat(removed.getResourcesList()).isEmpty();
    assertThat(removed.getRemovedResourcesList()).containsExactly(RATINGS);
    out.onNext(ack(Resources.V3.CLUSTER_TYPE_URL, removed.getNonce()));

    // a NACK: the client keeps what it had, without ratings; a push that matches it sends
    // nothing, the next one that differs from it sends ratings again
    pushWithRatings(true);
    DeltaDiscoveryResponse again = in.next();
    assertThat(again.getResourcesList()).extracting(Resource::getName).containsExactly(RATINGS);
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
            .setResponseNonce(again.getNonce())
            .setErrorDetail(com.google.rpc.Status.newBuilder().setMessage("rejected"))
            .build());
    assertThat(in.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();
    pushWithRatings(false);
    assertThat(in.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();
    pushWithRatings(true);
    DeltaDiscoveryResponse afterNack = in.next();
    assertThat(afterNack.getResourcesList()).extracting(Resource::getName).containsExactly(RATINGS);
    out.onCompleted();
  }

  @Test
  void unservedTypeGetsEmptyResponseAndStreamStaysUp() throws Exception {
    Inbox<DiscoveryResponse> in = new Inbox<>();
    StreamObserver<DiscoveryRequest> out = openSotw(channel, in, SIDECAR, NDS);
    DiscoveryResponse nds = in.next();
    assertThat(nds.getTypeUrl()).isEqualTo(NDS);
    assertThat(nds.getResourcesCount()).isZero();
    out.onNext(
        DiscoveryRequest.newBuilder().setTypeUrl(NDS).setResponseNonce(nds.getNonce()).build());

    out.onNext(DiscoveryRequest.newBuilder().setTypeUrl(Resources.V3.LISTENER_TYPE_URL).build());
    DiscoveryResponse lds = in.next();

    assertThat(lds.getTypeUrl()).isEqualTo(Resources.V3.LISTENER_TYPE_URL);
    assertThat(lds.getResourcesCount()).isPositive();
    assertThat(in.errors).isEmpty();
    out.onCompleted();
  }

  @Test
  void deltaUnservedTypeGetsEmptyResponse() throws Exception {
    Inbox<DeltaDiscoveryResponse> in = new Inbox<>();
    StreamObserver<DeltaDiscoveryRequest> out = openDelta(channel, in, SIDECAR, NDS);
    DeltaDiscoveryResponse nds = in.next();
    assertThat(nds.getTypeUrl()).isEqualTo(NDS);
    assertThat(nds.getResourcesCount()).isZero();
    out.onNext(
        DeltaDiscoveryRequest.newBuilder().setTypeUrl(Resources.V3.LISTENER_TYPE_URL).build());
    assertThat(in.next().getTypeUrl()).isEqualTo(Resources.V3.LISTENER_TYPE_URL);
    out.onCompleted();
  }

  @Test
  void nackIsCountedAndTheRejectedVersionIsNotResent() throws Exception {
    Inbox<DiscoveryResponse> in = new Inbox<>();
    StreamObserver<DiscoveryRequest> out =
        openSotw(channel, in, SIDECAR, Resources.V3.ENDPOINT_TYPE_URL, REVIEWS);
    DiscoveryResponse first = in.next();
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
            .addResourceNames(REVIEWS)
            .setResponseNonce(first.getNonce())
            .setErrorDetail(Status.newBuilder().setCode(3).setMessage("bad endpoint"))
            .build());

    removeReviewsV2();

    DiscoveryResponse next = in.next();
    assertThat(next.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
    assertThat(endpoints(Resource.newBuilder().setResource(next.getResources(0)).build()))
        .containsExactly("10.1.0.1", "10.1.0.3");
    assertThat(metrics.rejects("eds")).isEqualTo(1);
    assertThat(prometheus.scrape()).contains("\npilot_total_xds_rejects{type=\"eds\"} 1.0\n");
    out.onCompleted();
  }

  @Test
  void malformedNodeClosesOnlyItsStream() throws Exception {
    Inbox<DiscoveryResponse> good = new Inbox<>();
    StreamObserver<DiscoveryRequest> goodOut =
        openSotw(channel, good, SIDECAR, Resources.V3.CLUSTER_TYPE_URL);
    good.next();

    Inbox<DiscoveryResponse> bad = new Inbox<>();
    Node malformed = Node.newBuilder().setId("not-an-istio-node").build();
    openSotw(channel, bad, malformed, Resources.V3.CLUSTER_TYPE_URL);
    Throwable err = bad.errors.poll(10, TimeUnit.SECONDS);
    assertThat(err).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) err).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    assertThat(((StatusRuntimeException) err).getStatus().getDescription()).startsWith("node.id:");

    goodOut.onNext(
        DiscoveryRequest.newBuilder().setTypeUrl(Resources.V3.LISTENER_TYPE_URL).build());
    assertThat(good.next().getTypeUrl()).isEqualTo(Resources.V3.LISTENER_TYPE_URL);
    assertThat(good.errors).isEmpty();
    goodOut.onCompleted();
  }
}
