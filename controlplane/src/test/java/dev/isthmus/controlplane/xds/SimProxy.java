package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code SimProxy} is a simulated Envoy on one ADS stream, State-of-the-World or Delta, sharing its
 * channel (and the channel's event loop) with other simulated proxies. It asks for all clusters and
 * listeners, then for the assignments of the EDS clusters and the route configurations the
 * listeners name, ACKs every response, and keeps per type only resource names and content hashes
 * ({@link ProxyResources#hash}, the control plane's resource version), so that a thousand of them
 * fit in a test JVM.
 *
 * <p>When its stream ends it reconnects after a jittered exponential backoff, as Envoy does (a
 * random delay below {@code base × 2^attempt}, capped; reset by a response), and asks again for
 * what it holds: a SotW request carries the last accepted version, a Delta request its resource
 * versions in {@code initial_resource_versions}. One that {@code forgets} starts empty instead, as
 * a restarted Envoy would.
 */
final class SimProxy {
  static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  static final String RDS = Resources.V3.ROUTE_TYPE_URL;
  static final List<String> TYPES = List.of(CDS, EDS, LDS, RDS);

  final Node node;
  final boolean delta;
  private final boolean forgets;
  private final ManagedChannel channel;
  private final ScheduledExecutorService timer;
  private final long baseMillis;
  private final long maxMillis;

  /** Per type, resource name to content hash. */
  private final Map<String, Map<String, String>> held = new HashMap<>();

  /** Per CDS resource, whether it is an EDS cluster; per listener, the route names it uses. */
  private final Map<String, Boolean> edsClusters = new HashMap<>();

  private final Map<String, Set<String>> listenerRoutes = new HashMap<>();
  private final Map<String, Set<String>> subscribed = new HashMap<>();
  private final Map<String, String> versions = new HashMap<>();
  private final Map<String, String> nonces = new HashMap<>();
  private final Set<String> asked = new java.util.HashSet<>();
  private StreamObserver<?> requests;
  private int generation;
  private int attempt;
  private boolean stopped;

  final AtomicInteger streamsOpened = new AtomicInteger();
  final AtomicInteger refused = new AtomicInteger();
  final AtomicInteger responses = new AtomicInteger();
  private volatile Status lastError;

  SimProxy(
      Node node,
      boolean delta,
      boolean forgets,
      ManagedChannel channel,
      ScheduledExecutorService timer,
      long baseMillis,
      long maxMillis) {
    this.node = node;
    this.delta = delta;
    this.forgets = forgets;
    this.channel = channel;
    this.timer = timer;
    this.baseMillis = baseMillis;
    this.maxMillis = maxMillis;
  }

  /** Opens the stream. */
  synchronized void start() {
    if (stopped) {
      return;
    }
    int gen = ++generation;
    streamsOpened.incrementAndGet();
    nonces.clear();
    asked.clear();
    if (forgets) {
      held.clear();
      edsClusters.clear();
      listenerRoutes.clear();
      subscribed.clear();
      versions.clear();
    }
    var stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    if (delta) {
      requests = stub.deltaAggregatedResources(new Observer<DeltaDiscoveryResponse>(gen));
    } else {
      requests = stub.streamAggregatedResources(new Observer<DiscoveryResponse>(gen));
    }
    boolean first = true;
    for (String type : TYPES) {
      Set<String> names = subscribed.get(type);
      boolean wildcard = type.equals(CDS) || type.equals(LDS);
      if (wildcard || (names != null && !names.isEmpty())) {
        ask(type, wildcard ? Set.of() : names, first);
        first = false;
      }
    }
  }

  /** Ends the stream for good. */
  synchronized void stop() {
    stopped = true;
    try {
      requests.onCompleted();
    } catch (RuntimeException e) {
      // already ended
    }
  }

  /** What the proxy holds: per type, resource name to content hash. */
  synchronized Map<String, Map<String, String>> snapshot() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    held.forEach((t, m) -> out.put(XdsMetrics.typeLabel(t), new TreeMap<>(m)));
    return out;
  }

  /**
   * Whether it holds every type, with an assignment for each EDS cluster and a route configuration
   * for each name its listeners use.
   */
  synchronized boolean complete() {
    if (!TYPES.stream().allMatch(held::containsKey)) {
      return false;
    }
    return held.get(EDS).keySet().equals(edsNames()) && held.get(RDS).keySet().equals(routeNames());
  }

  Status lastError() {
    return lastError;
  }

  private Set<String> edsNames() {
    Set<String> out = new TreeSet<>();
    edsClusters.forEach(
        (name, eds) -> {
          if (eds) {
            out.add(name);
          }
        });
    return out;
  }

  private Set<String> routeNames() {
    Set<String> out = new TreeSet<>();
    listenerRoutes.values().forEach(out::addAll);
    return out;
  }

  @SuppressWarnings("unchecked")
  private void ask(String type, Set<String> names, boolean withNode) {
    ask(type, names, withNode, false);
  }

  /**
   * @param ack whether this answers the type's last response: a Delta request carries the nonce
   *     only then, as Envoy's, while a SotW request always carries the last version and nonce
   */
  private void ask(String type, Set<String> names, boolean withNode, boolean ack) {
    Set<String> before = subscribed.put(type, Set.copyOf(names));
    if (delta) {
      DeltaDiscoveryRequest.Builder b =
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(type)
              .setResponseNonce(ack ? nonces.getOrDefault(type, "") : "");
      if (withNode) {
        b.setNode(node);
      }
      if (asked.add(type)) {
        // first request of the type on this stream
        b.addAllResourceNamesSubscribe(names);
        b.putAllInitialResourceVersions(held.getOrDefault(type, Map.of()));
      } else if (before != null) {
        names.stream().filter(n -> !before.contains(n)).forEach(b::addResourceNamesSubscribe);
        before.stream().filter(n -> !names.contains(n)).forEach(b::addResourceNamesUnsubscribe);
      }
      ((StreamObserver<DeltaDiscoveryRequest>) requests).onNext(b.build());
    } else {
      DiscoveryRequest.Builder b =
          DiscoveryRequest.newBuilder()
              .setTypeUrl(type)
              .addAllResourceNames(new TreeSet<>(names))
              .setVersionInfo(versions.getOrDefault(type, ""))
              .setResponseNonce(nonces.getOrDefault(type, ""));
      if (withNode) {
        b.setNode(node);
      }
      ((StreamObserver<DiscoveryRequest>) requests).onNext(b.build());
    }
  }

  private synchronized void onSotw(DiscoveryResponse r) throws InvalidProtocolBufferException {
    String type = r.getTypeUrl();
    // as Envoy: a SotW response is the whole set of listeners or clusters, but endpoint
    // assignments it leaves out are kept (while still asked for)
    Map<String, String> m =
        type.equals(EDS) ? new HashMap<>(held.getOrDefault(EDS, Map.of())) : new HashMap<>();
    if (type.equals(EDS)) {
      m.keySet().retainAll(subscribed.getOrDefault(EDS, Set.of()));
    }
    if (type.equals(CDS)) {
      edsClusters.clear();
    } else if (type.equals(LDS)) {
      listenerRoutes.clear();
    }
    for (Any a : r.getResourcesList()) {
      m.put(Resources.getResourceName(a), learn(type, a));
    }
    held.put(type, m);
    versions.put(type, r.getVersionInfo());
    nonces.put(type, r.getNonce());
    ack(type);
  }

  private synchronized void onDelta(DeltaDiscoveryResponse r)
      throws InvalidProtocolBufferException {
    String type = r.getTypeUrl();
    Map<String, String> m = held.computeIfAbsent(type, k -> new HashMap<>());
    for (String name : r.getRemovedResourcesList()) {
      m.remove(name);
      edsClusters.remove(name);
      listenerRoutes.remove(name);
    }
    for (Resource res : r.getResourcesList()) {
      m.put(res.getName(), learn(type, res.getResource()));
    }
    nonces.put(type, r.getNonce());
    ack(type);
  }

  /** ACKs, then asks for the assignments and routes the new clusters and listeners name. */
  private void ack(String type) {
    attempt = 0;
    responses.incrementAndGet();
    ask(type, subscribed.getOrDefault(type, Set.of()), false, true);
    if (type.equals(CDS) && !edsNames().equals(subscribed.get(EDS))) {
      ask(EDS, edsNames(), false);
    } else if (type.equals(LDS) && !routeNames().equals(subscribed.get(RDS))) {
      ask(RDS, routeNames(), false);
    }
  }

  /** The resource's content hash; remembers what later requests depend on. */
  private String learn(String type, Any a) throws InvalidProtocolBufferException {
    Message msg;
    if (type.equals(CDS)) {
      Cluster c = a.unpack(Cluster.class);
      edsClusters.put(c.getName(), c.getType() == Cluster.DiscoveryType.EDS);
      msg = c;
    } else if (type.equals(LDS)) {
      Listener l = a.unpack(Listener.class);
      listenerRoutes.put(l.getName(), routes(l));
      msg = l;
    } else if (type.equals(EDS)) {
      msg = a.unpack(ClusterLoadAssignment.class);
    } else if (type.equals(RDS)) {
      msg = a.unpack(RouteConfiguration.class);
    } else {
      return ProxyResources.hash(a);
    }
    return ProxyResources.hash(msg);
  }

  private static Set<String> routes(Listener l) throws InvalidProtocolBufferException {
    Set<String> out = new TreeSet<>();
    List<FilterChain> chains = new java.util.ArrayList<>(l.getFilterChainsList());
    if (l.hasDefaultFilterChain()) {
      chains.add(l.getDefaultFilterChain());
    }
    for (FilterChain fc : chains) {
      for (Filter f : fc.getFiltersList()) {
        if (f.hasTypedConfig() && f.getTypedConfig().is(HttpConnectionManager.class)) {
          HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
          if (hcm.hasRds()) {
            out.add(hcm.getRds().getRouteConfigName());
          }
        }
      }
    }
    return out;
  }

  private synchronized void ended(int gen, Status status) {
    if (gen != generation || stopped) {
      return;
    }
    lastError = status;
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      refused.incrementAndGet();
    }
    long cap = Math.min(maxMillis, baseMillis << Math.min(attempt, 20));
    attempt++;
    long delay = ThreadLocalRandom.current().nextLong(cap + 1);
    timer.schedule(
        () -> {
          // a new stream must dial again rather than fail on the channel's own, longer backoff
          if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
          }
          start();
        },
        delay,
        TimeUnit.MILLISECONDS);
  }

  private final class Observer<R> implements StreamObserver<R> {
    private final int gen;

    Observer(int gen) {
      this.gen = gen;
    }

    @Override
    public void onNext(R r) {
      synchronized (SimProxy.this) {
        if (gen != generation) {
          return;
        }
        try {
          if (r instanceof DiscoveryResponse d) {
            onSotw(d);
          } else {
            onDelta((DeltaDiscoveryResponse) r);
          }
        } catch (InvalidProtocolBufferException | RuntimeException e) {
          lastError = Status.INTERNAL.withDescription(e.toString());
          throw new IllegalStateException(e);
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      ended(gen, Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended(gen, Status.UNAVAILABLE.withDescription("server ended the stream"));
    }
  }
}
