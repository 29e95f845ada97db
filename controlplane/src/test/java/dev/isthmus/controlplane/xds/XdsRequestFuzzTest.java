package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * A proxy's node id, metadata and requests are client input (style rule 13): for any node, {@link
 * ProxyNode#parse} gives a proxy or an {@link IllegalArgumentException}, and every resource can be
 * generated for the proxy it gives; on a stream, any sequence of requests gets answers or ends with
 * a status that blames the request, never {@code UNKNOWN} or {@code INTERNAL}. Nodes are Istio's id
 * format and metadata with random parts replaced.
 */
class XdsRequestFuzzTest {
  private static final Duration BUDGET = Duration.ofSeconds(20);
  private static final MeshSnapshot MESH = Fixtures.build(Fixtures.reviews());
  private static final Set<Status.Code> CLIENT_ERRORS =
      Set.of(
          Status.Code.INVALID_ARGUMENT,
          Status.Code.PERMISSION_DENIED,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.UNAUTHENTICATED);

  private static LocalAds ads;

  @BeforeContainer
  static void start() throws Exception {
    XdsCache cache = new XdsCache(p -> ResourceGenerator.generate(MESH, p));
    ads = LocalAds.start(cache, new XdsMetrics(new IstioPrometheusRegistry().registry()));
  }

  @AfterContainer
  static void stop() throws InterruptedException {
    ads.close();
  }

  private static final List<String> TYPES =
      List.of(
          "",
          "x",
          "type.googleapis.com/",
          Resources.V3.CLUSTER_TYPE_URL,
          Resources.V3.LISTENER_TYPE_URL,
          Resources.V3.ROUTE_TYPE_URL,
          Resources.V3.ENDPOINT_TYPE_URL,
          Resources.V3.SECRET_TYPE_URL,
          "type.googleapis.com/istio.networking.nds.v1.NameTable",
          "type.googleapis.com/istio.v1.HealthInformation",
          "istio.io/debug/syncz",
          "type.googleapis.com/envoy.config.cluster.v3.Cluster\u0000");

  private static final List<String> WORDS =
      List.of(
          "",
          "sidecar",
          "router",
          "proxy",
          "10.1.0.9",
          "::1",
          "not-an-ip",
          "999.1.1.1",
          "productpage.default",
          "productpage",
          ".",
          "default",
          "default.svc.cluster.local",
          "~",
          "a".repeat(10_000),
          "\u00e9\u0000",
          "kube-system",
          "istio-system");

  private static final List<Value> VALUES =
      List.of(
          Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build(),
          Value.newBuilder().setBoolValue(true).build(),
          Value.newBuilder().setNumberValue(Double.NaN).build(),
          Value.newBuilder().setStringValue("").build(),
          Value.newBuilder().setStringValue("grpc").build(),
          Value.newBuilder().setStringValue("true").build(),
          Value.newBuilder().setStringValue("default").build(),
          Value.newBuilder()
              .setListValue(ListValue.newBuilder().addValues(Value.getDefaultInstance()))
              .build(),
          Value.newBuilder()
              .setStructValue(
                  Struct.newBuilder()
                      .putFields("app", Value.newBuilder().setStringValue("reviews").build())
                      .putFields("x", Value.newBuilder().setBoolValue(true).build()))
              .build(),
          Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build());

  private static final List<String> KEYS =
      List.of(
          "NAMESPACE",
          "LABELS",
          "GENERATOR",
          "DNS_CAPTURE",
          "CLUSTER_ID",
          "ISTIO_VERSION",
          "INTERCEPTION_MODE",
          "WORKLOAD_NAME",
          "SERVICE_ACCOUNT",
          "INSTANCE_IPS",
          "x");

  @Provide
  Arbitrary<Node> node() {
    Arbitrary<String> word = Arbitraries.of(WORDS);
    Arbitrary<String> id =
        Arbitraries.oneOf(
            Combinators.combine(word, word, word, word)
                .as((a, b, c, d) -> a + "~" + b + "~" + c + "~" + d),
            Arbitraries.of(
                "sidecar~10.1.0.9~productpage.default~default.svc.cluster.local",
                "router~10.1.0.5~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local"),
            Arbitraries.strings().ofMaxLength(30));
    Arbitrary<Struct> metadata =
        Combinators.combine(Arbitraries.of(KEYS), Arbitraries.of(VALUES))
            .as((k, v) -> new Object[] {k, v})
            .list()
            .ofMaxSize(5)
            .map(
                l -> {
                  Struct.Builder b = Struct.newBuilder();
                  l.forEach(kv -> b.putFields((String) kv[0], (Value) kv[1]));
                  return b.build();
                });
    Arbitrary<Locality> locality =
        Combinators.combine(word, word, word)
            .as((r, z, s) -> Locality.newBuilder().setRegion(r).setZone(z).setSubZone(s).build());
    return Combinators.combine(id, metadata, locality)
        .as((i, m, l) -> Node.newBuilder().setId(i).setMetadata(m).setLocality(l).build());
  }

  @Property
  void anyNodeParsesOrIsRejectedAndGetsEveryResource(@ForAll("node") Node node) {
    ProxyNode proxy;
    try {
      proxy = ProxyNode.parse(node);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).startsWith("node.id: ");
      Statistics.label("outcome").collect("rejected");
      return;
    }
    assertTimeoutPreemptively(BUDGET, () -> ResourceGenerator.generate(MESH, proxy));
    Statistics.label("outcome").collect(proxy.type().name());
  }

  /** One request on a stream: node (or none), type, names, nonce, version. */
  record Request(Node node, String type, List<String> names, String nonce, String version) {}

  @Provide
  Arbitrary<List<Request>> requests() {
    // mostly a valid node, so that the stream gets past binding to the requests themselves
    Arbitrary<Node> node =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(
                6,
                Arbitraries.just(
                    Fixtures.node(
                        "sidecar~10.1.0.9~productpage.default~default.svc.cluster.local",
                        java.util.Map.of()))),
            net.jqwik.api.Tuple.of(3, node()),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(Node.getDefaultInstance())));
    Arbitrary<List<String>> names =
        Arbitraries.of(
                "",
                "*",
                "outbound|9080||reviews.default.svc.cluster.local",
                "0.0.0.0_9080",
                "inbound|9080||",
                "kubernetes://x",
                "reviews.default.svc.cluster.local:9080",
                "\u0000")
            .list()
            .ofMaxSize(3);
    Arbitrary<String> nonce = Arbitraries.of("", "1", "u1", "o1", "x");
    return Combinators.combine(node, Arbitraries.of(TYPES), names, nonce, nonce)
        .as(Request::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4);
  }

  @Property(tries = 100)
  void sotwStreamsEndOnlyWithClientErrors(@ForAll("requests") List<Request> requests)
      throws Exception {
    AdsProtocolTest.Inbox<DiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DiscoveryRequest> out =
        AggregatedDiscoveryServiceGrpc.newStub(ads.channel()).streamAggregatedResources(in);
    for (Request r : requests) {
      out.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(r.node())
              .setTypeUrl(r.type())
              .addAllResourceNames(r.names())
              .setResponseNonce(r.nonce())
              .setVersionInfo(r.version())
              .build());
    }
    settle(in.errors.poll(300, TimeUnit.MILLISECONDS), in.messages.size());
    out.onCompleted();
  }

  @Property(tries = 100)
  void deltaStreamsEndOnlyWithClientErrors(@ForAll("requests") List<Request> requests)
      throws Exception {
    AdsProtocolTest.Inbox<DeltaDiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    StreamObserver<DeltaDiscoveryRequest> out =
        AggregatedDiscoveryServiceGrpc.newStub(ads.channel()).deltaAggregatedResources(in);
    for (Request r : requests) {
      out.onNext(
          DeltaDiscoveryRequest.newBuilder()
              .setNode(r.node())
              .setTypeUrl(r.type())
              .addAllResourceNamesSubscribe(r.names())
              .addAllResourceNamesUnsubscribe(r.names().subList(0, r.names().size() / 2))
              .setResponseNonce(r.nonce())
              .build());
    }
    settle(in.errors.poll(300, TimeUnit.MILLISECONDS), in.messages.size());
    out.onCompleted();
  }

  /** Found by the stream properties: java-control-plane ended such a stream with UNKNOWN. */
  @Example
  void requestWithoutTypeUrlIsInvalidArgument() throws Exception {
    for (boolean delta : new boolean[] {false, true}) {
      AdsProtocolTest.Inbox<Object> in = new AdsProtocolTest.Inbox<>();
      Node node =
          Fixtures.node(
              "sidecar~10.1.0.9~productpage.default~default.svc.cluster.local", java.util.Map.of());
      if (delta) {
        AggregatedDiscoveryServiceGrpc.newStub(ads.channel())
            .deltaAggregatedResources(forward(in))
            .onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).build());
      } else {
        AggregatedDiscoveryServiceGrpc.newStub(ads.channel())
            .streamAggregatedResources(forward(in))
            .onNext(DiscoveryRequest.newBuilder().setNode(node).build());
      }
      Throwable error = in.errors.poll(5, TimeUnit.SECONDS);
      assertThat(error).isInstanceOf(StatusRuntimeException.class);
      Status status = ((StatusRuntimeException) error).getStatus();
      assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription())
          .isEqualTo("type_url: required on an aggregated (ADS) stream");
    }
  }

  /**
   * Found by the Delta property: java-control-plane failed with a NullPointerException (UNKNOWN to
   * the client) on a nonce it never sent; the request is now a new subscription, as in Istio.
   */
  @Example
  void deltaRequestWithAForeignNonceIsAnswered() throws Exception {
    AdsProtocolTest.Inbox<DeltaDiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    Node node =
        Fixtures.node(
            "sidecar~10.1.0.9~productpage.default~default.svc.cluster.local", java.util.Map.of());
    StreamObserver<DeltaDiscoveryRequest> out =
        AggregatedDiscoveryServiceGrpc.newStub(ads.channel()).deltaAggregatedResources(in);
    out.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
            .setResponseNonce("1")
            .build());
    DeltaDiscoveryResponse r = in.messages.poll(5, TimeUnit.SECONDS);
    assertThat(in.errors).isEmpty();
    assertThat(r).isNotNull();
    assertThat(r.getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
    out.onCompleted();
  }

  /** Found by the Delta property as the one above, with a nonce after a first response. */
  @Example
  void deltaRequestWithAStaleNonceIsIgnored() throws Exception {
    AdsProtocolTest.Inbox<DeltaDiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    Node node =
        Fixtures.node(
            "sidecar~10.1.0.9~productpage.default~default.svc.cluster.local", java.util.Map.of());
    StreamObserver<DeltaDiscoveryRequest> out =
        AggregatedDiscoveryServiceGrpc.newStub(ads.channel()).deltaAggregatedResources(in);
    DeltaDiscoveryRequest cds =
        DeltaDiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
            .build();
    out.onNext(cds);
    assertThat(in.messages.poll(5, TimeUnit.SECONDS)).isNotNull();
    out.onNext(cds.toBuilder().setResponseNonce("not-a-nonce-we-sent").build());
    assertThat(in.errors.poll(500, TimeUnit.MILLISECONDS)).isNull();
    out.onCompleted();
  }

  /**
   * Found by the SotW property: the INVALID_ARGUMENT description quoted a 10000-character node id,
   * over grpc-java's 8 KiB trailer limit, and the client saw INTERNAL (RST_STREAM).
   */
  @Example
  void longNodeIdIsInvalidArgument() throws Exception {
    AdsProtocolTest.Inbox<DiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
    AggregatedDiscoveryServiceGrpc.newStub(ads.channel())
        .streamAggregatedResources(in)
        .onNext(
            DiscoveryRequest.newBuilder()
                .setNode(Node.newBuilder().setId("x".repeat(10_000)))
                .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
                .build());
    Throwable error = in.errors.poll(5, TimeUnit.SECONDS);
    assertThat(error).isInstanceOf(StatusRuntimeException.class);
    Status status = ((StatusRuntimeException) error).getStatus();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription())
        .startsWith("node.id: expected <type>~")
        .hasSizeLessThan(1100);
  }

  private static <T> StreamObserver<T> forward(AdsProtocolTest.Inbox<Object> in) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        in.onNext(value);
      }

      @Override
      public void onError(Throwable t) {
        in.onError(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  private static void settle(Throwable error, int responses) {
    if (error == null) {
      Statistics.label("outcome").collect(responses > 0 ? "answered" : "open");
      return;
    }
    assertThat(error).isInstanceOf(StatusRuntimeException.class);
    Status status = ((StatusRuntimeException) error).getStatus();
    assertThat(status.getCode()).as("%s", status).isIn(CLIENT_ERRORS);
    assertThat(status.getDescription()).isNotBlank();
    Statistics.label("outcome").collect(status.getCode().name());
  }
}
