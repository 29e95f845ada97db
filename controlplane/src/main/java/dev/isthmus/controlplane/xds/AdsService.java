package dev.isthmus.controlplane.xds;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.serializer.DefaultProtoResourcesSerializer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdsService} is the Aggregated Discovery Service clients reach, SotW and Delta, in front of
 * java-control-plane's {@link V3DiscoveryServer}. Per stream it
 *
 * <ul>
 *   <li>parses the node (a malformed node id closes that stream with {@code INVALID_ARGUMENT}),
 *       registers the proxy with the {@link XdsCache} and re-attaches the node to later requests
 *       that omit it;
 *   <li>answers type URLs the control plane does not generate (Istio's PCDS, WDS…, NDS for a proxy
 *       without DNS capture) with an empty response itself, so the stream stays up; serves Istio's
 *       DNS name table (NDS) itself; takes the agent's health reports without answering them;
 *   <li>tracks sent, acknowledged and rejected versions per type, and counts pushes and NACKs.
 * </ul>
 */
public final class AdsService
    extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AdsService.class);
  static final Context.Key<String> PEER = Context.key("isthmus-xds-peer");

  private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase delegate;
  private final XdsCache cache;
  private final XdsMetrics metrics;
  private final Map<Long, XdsConnection> connections = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong ownNonces = new AtomicLong();
  private final int maxQueuedResponses;

  /** Bytes of responses in the transports of all streams, bounded ({@link SendBudget}). */
  private final SendBudget sendBudget = new SendBudget(SendBudget.DEFAULT);

  /**
   * Istio's own types this control plane generates but java-control-plane cannot send (it knows
   * Envoy's types only): answered here from the stream's resources, and pushed when they change.
   */
  static final Set<String> OWN_TYPES = Set.of(NameTableGenerator.TYPE_URL);

  /** The longest status description a stream ends with. */
  static final int MAX_DESCRIPTION = 1024;

  /** The type of the health reports Istio's agent sends when it probes its workload. */
  static final String HEALTH_INFO = "type.googleapis.com/istio.v1.HealthInformation";

  /** Per stream key, its subscriptions to {@link #OWN_TYPES}. */
  private final Map<String, Map<String, OwnWatch<?>>> ownWatches = new ConcurrentHashMap<>();

  /**
   * Responses a stream may have waiting for its client to read before it is ended: a push is at
   * most one response per type, so this is a dozen pushes the client did not read.
   */
  public static final int MAX_QUEUED_RESPONSES = 64;

  /**
   * @param cache per-stream resources and watches
   * @param metrics where pushes and rejects are counted
   */
  public AdsService(XdsCache cache, XdsMetrics metrics) {
    this(cache, metrics, MAX_QUEUED_RESPONSES);
  }

  /**
   * @param maxQueuedResponses responses a stream may hold unread before it is ended with {@code
   *     RESOURCE_EXHAUSTED}
   */
  AdsService(XdsCache cache, XdsMetrics metrics, int maxQueuedResponses) {
    this.maxQueuedResponses = maxQueuedResponses;
    this.delegate =
        new V3DiscoveryServer(
                List.of(), cache, new DefaultExecutorGroup(), new SharedResourceSerializer())
            .getAggregatedDiscoveryServiceImpl();
    this.cache = cache;
    this.metrics = metrics;
    cache.onResources(
        (stream, resources) -> {
          Map<String, OwnWatch<?>> watches = ownWatches.get(stream);
          if (watches != null) {
            watches.values().forEach(OwnWatch::send);
          }
        });
    metrics.connectedProxies(
        () -> connections.values().stream().filter(c -> c.proxy() != null).count());
  }

  /** Open streams. */
  public Collection<XdsConnection> connections() {
    return List.copyOf(connections.values());
  }

  /**
   * Sizes of the state kept per stream, by where it is kept: each entry goes when its stream ends,
   * so with no stream open every size is 0. For leak checks and debugging.
   */
  public Map<String, Integer> streamStateSizes() {
    Map<String, Integer> m = new TreeMap<>(cache.stateSizes());
    m.put("ads.connections", connections.size());
    m.put("ads.ownWatches", ownWatches.size());
    return m;
  }

  /** What a stream is currently served, or null once it ended. */
  ProxyResources resources(XdsConnection c) {
    return cache.resources(c.key());
  }

  /** Puts the peer address in the call context, for debug output. */
  public static ServerInterceptor peerInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress addr = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        return Contexts.interceptCall(
            Context.current().withValue(PEER, addr == null ? "" : addr.toString()),
            call,
            headers,
            next);
      }
    };
  }

  private XdsConnection open(boolean delta) {
    String peer = PEER.get() == null ? "" : PEER.get();
    XdsConnection c = new XdsConnection(ids.incrementAndGet(), delta, peer);
    connections.put(c.id(), c);
    return c;
  }

  private void close(XdsConnection c) {
    if (c.markClosed()) {
      connections.remove(c.id());
      if (c.proxy() != null) {
        ownWatches.remove(c.key());
        cache.disconnect(c.key());
        LOG.info("proxy {} disconnected (stream {})", c.proxy().id(), c.id());
      }
    }
  }

  /**
   * Pins the node on a stream's first request. A later request may repeat the node or omit it; one
   * that names another node id ends the stream: the stream's identity and state were settled by its
   * first request.
   *
   * @return the node forwarded to the discovery server: it carries only the stream's own key, so
   *     whatever the client sends, the cache finds this stream's state and nothing else
   */
  private Node bindNode(XdsConnection c, Node requestNode) throws StatusException {
    if (c.proxy() == null) {
      if (requestNode == null || requestNode.getId().isEmpty()) {
        throw new IllegalArgumentException(
            "node: the first request on a stream must carry the node");
      }
      ProxyNode proxy = ProxyNode.parse(requestNode);
      String identity = XdsAuthorization.authorize(proxy);
      c.bind(proxy, identity);
      var md = requestNode.getMetadata().getFieldsMap();
      c.describe(
          md.containsKey("CLUSTER_ID") ? md.get("CLUSTER_ID").getStringValue() : "",
          md.containsKey("ISTIO_VERSION") ? md.get("ISTIO_VERSION").getStringValue() : "");
      cache.connect(c.key(), proxy, identity);
      LOG.info(
          "proxy {} connected as {}{} (stream {})",
          proxy.id(),
          proxy.type(),
          identity == null ? "" : " by " + identity,
          c.id());
    } else if (requestNode != null
        && !requestNode.getId().isEmpty()
        && !requestNode.getId().equals(c.proxy().id())) {
      throw new IllegalArgumentException(
          "node.id: this stream belongs to "
              + c.proxy().id()
              + "; a request may not switch it to "
              + requestNode.getId());
    }
    return c.streamNode();
  }

  /**
   * Whether this control plane generates the type for this stream: credentials (SDS) only for a
   * caller the transport authenticated, never on the plaintext port, as istiod; the DNS name table
   * only for a proxy whose agent answers DNS.
   */
  private static boolean served(XdsConnection c, String typeUrl) {
    return served(typeUrl)
        && (c.identity() != null || !typeUrl.equals(Resources.V3.SECRET_TYPE_URL))
        && (!typeUrl.equals(NameTableGenerator.TYPE_URL)
            || ResourceGenerator.servesNameTable(c.proxy()));
  }

  /**
   * {@code s} with its description cut to {@link #MAX_DESCRIPTION}: descriptions travel in HTTP/2
   * trailers, which grpc-java caps at 8 KiB, and one that echoes a long client-chosen node id would
   * reset the stream as INTERNAL instead of reporting the client's error.
   */
  static Status capped(Status s) {
    String d = s.getDescription();
    return d == null || d.length() <= MAX_DESCRIPTION
        ? s
        : s.withDescription(d.substring(0, MAX_DESCRIPTION) + "...");
  }

  static boolean served(String typeUrl) {
    return XdsCache.ORDER.contains(typeUrl) || OWN_TYPES.contains(typeUrl);
  }

  /** A stream's subscription to one of {@link #OWN_TYPES}: the version sent last, and where to. */
  private final class OwnWatch<R> {
    private final String stream;
    private final String type;
    private final StreamProtocol<?, R> protocol;
    private final StreamObserver<R> out;
    private String sent;

    OwnWatch(String stream, String type, StreamProtocol<?, R> protocol, StreamObserver<R> out) {
      this.stream = stream;
      this.type = type;
      this.protocol = protocol;
      this.out = out;
    }

    /**
     * Sends the stream's current resource of this type unless it was sent already; reading the
     * current one (not the one a push carried) keeps a late call from sending an older version.
     */
    synchronized void send() {
      ProxyResources resources = cache.resources(stream);
      VersionedResource<?> v = resources == null ? null : resources.resources(type).get("");
      if (v == null || v.version().equals(sent)) {
        return;
      }
      sent = v.version();
      out.onNext(
          protocol
              .single()
              .of(type, v.version(), "o" + ownNonces.incrementAndGet(), Any.pack(v.resource())));
    }
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responseObserver) {
    return stream(StreamProtocol.SOTW, responseObserver, delegate::streamAggregatedResources);
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responseObserver) {
    return stream(StreamProtocol.DELTA, responseObserver, delegate::deltaAggregatedResources);
  }

  /**
   * One ADS stream, SotW or Delta: binds the node, tracks ACKs and NACKs, answers types the control
   * plane does not generate itself, and hands the rest to java-control-plane.
   */
  private <Q, R> StreamObserver<Q> stream(
      StreamProtocol<Q, R> protocol,
      StreamObserver<R> responseObserver,
      java.util.function.Function<StreamObserver<R>, StreamObserver<Q>> server) {
    XdsConnection c = open(protocol.delta());
    SerializedObserver<R> out =
        new SerializedObserver<>(
            (ServerCallStreamObserver<R>) responseObserver,
            r -> {
              c.sent(
                  protocol.type().apply(r), protocol.version().apply(r), protocol.nonce().apply(r));
              if (served(protocol.type().apply(r))) {
                metrics.pushed(protocol.type().apply(r));
              }
            },
            () -> close(c),
            maxQueuedResponses,
            sendBudget);
    StreamObserver<Q> inner = server.apply(out);
    String kind = protocol.delta() ? "delta xDS" : "xDS";
    return new StreamObserver<>() {
      @Override
      public void onNext(Q req) {
        try {
          handle(req);
        } catch (RuntimeException e) {
          // gRPC would end the call without telling this observer, so the stream's state would
          // outlive it: end it here, state first
          LOG.error("closing {} stream {}: the request could not be handled", kind, c.id(), e);
          close(c);
          inner.onError(
              Status.INTERNAL.withDescription("the request could not be handled").asException());
        }
      }

      private void handle(Q req) {
        if (c.closed()) {
          return; // the stream was ended; what the client still sends changes nothing
        }
        try {
          req = protocol.withNode().apply(req, bindNode(c, protocol.node().apply(req)));
        } catch (IllegalArgumentException e) {
          LOG.warn("closing {} stream {}: {}", kind, c.id(), e.getMessage());
          close(c);
          inner.onError(
              capped(Status.INVALID_ARGUMENT.withDescription(e.getMessage())).asRuntimeException());
          return;
        } catch (StatusException e) {
          LOG.warn("closing {} stream {}: {}", kind, c.id(), e.getStatus().getDescription());
          close(c);
          inner.onError(capped(e.getStatus()).asRuntimeException());
          return;
        }
        String type = protocol.requestType().apply(req);
        String nonce = protocol.responseNonce().apply(req);
        if (type.equals(HEALTH_INFO)) {
          // Istio's agent reports its workload's health (an error detail: unhealthy) on the
          // stream; istiod records it and never answers, and neither is it a rejected push.
          LOG.debug("stream {}: health report, {}", c.id(), protocol.error().apply(req));
          return;
        }
        if (type.isEmpty()) {
          // java-control-plane would end the stream with UNKNOWN; the request is what is wrong
          LOG.warn("closing {} stream {}: request without type_url", kind, c.id());
          close(c);
          inner.onError(
              Status.INVALID_ARGUMENT
                  .withDescription("type_url: required on an aggregated (ADS) stream")
                  .asRuntimeException());
          return;
        }
        // A Delta answer to a response that is not outstanding (answered already, or never sent on
        // this stream) would find no response in the discovery server; decided before the answer
        // is recorded.
        boolean stale = protocol.delta() && !nonce.isEmpty() && !c.awaits(type, nonce);
        boolean sentBefore = c.sentAny(type);
        if (c.answered(
            type, nonce, protocol.requestVersion().apply(req), protocol.error().apply(req))) {
          metrics.rejected(type);
        }
        if (!served(c, type)) {
          // our own empty answer carries a nonce starting with "u": its ACK needs no answer
          if (nonce.isEmpty() || !nonce.startsWith("u")) {
            out.onNext(protocol.empty().apply(type, "u" + ownNonces.incrementAndGet()));
          }
          return;
        }
        if (OWN_TYPES.contains(type)) {
          // a request without nonce subscribes; ACKs and NACKs of our answers need no answer
          if (nonce.isEmpty()) {
            OwnWatch<R> w = new OwnWatch<>(c.key(), type, protocol, out);
            ownWatches.computeIfAbsent(c.key(), k -> new ConcurrentHashMap<>()).put(type, w);
            w.send();
          }
          return;
        }
        if (stale) {
          // As Istio: a nonce on a type this stream never sent (a proxy reconnecting with its
          // previous stream's) is a new subscription; otherwise only its subscription changes
          // count.
          req =
              sentBefore
                  ? protocol.subscriptionOnly().apply(req)
                  : protocol.withoutNonce().apply(req);
          if (req == null) {
            LOG.debug("stream {}: ignoring an answer to a response not outstanding", c.id());
            return;
          }
        }
        inner.onNext(req);
      }

      @Override
      public void onError(Throwable t) {
        close(c);
        inner.onError(t);
      }

      @Override
      public void onCompleted() {
        close(c);
        inner.onCompleted();
      }
    };
  }

  /**
   * Encodes each resource instance once, for as long as it lives: proxies of one push share
   * instances (see {@link PushContext}), so a push to a thousand proxies encodes a shared cluster
   * or assignment once instead of a thousand times. Keys are weak and compared by identity.
   */
  static final class SharedResourceSerializer extends DefaultProtoResourcesSerializer {
    private final Cache<Message, Any> encoded = CacheBuilder.newBuilder().weakKeys().build();

    @Override
    public Any serialize(Message message, Resources.ApiVersion apiVersion) {
      Any any = encoded.getIfPresent(message);
      if (any == null) {
        any = super.serialize(message, apiVersion);
        encoded.put(message, any);
      }
      return any;
    }
  }
}
