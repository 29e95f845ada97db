package dev.isthmus.controlplane.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * {@code AdsClient} is a simulated Envoy on one State-of-the-World ADS stream: it asks for all
 * clusters and listeners, then for the assignments of the EDS clusters and the route
 * configurations the listeners name, and ACKs every response. It keeps only names and versions, not
 * the resources, so that heap measurements show the control plane's state.
 */
final class AdsClient implements StreamObserver<DiscoveryResponse> {
  static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  static final String RDS = Resources.V3.ROUTE_TYPE_URL;

  /** Resource names, one instance for all clients: a real Envoy's memory is not in this JVM. */
  private static final Map<String, String> NAMES = new java.util.concurrent.ConcurrentHashMap<>();

  private final Node node;
  private final BiConsumer<AdsClient, String> onNewVersion;
  private final Map<String, String> versions = new HashMap<>();
  private final Map<String, String> nonces = new HashMap<>();
  private final Map<String, List<String>> names = new HashMap<>();
  private StreamObserver<DiscoveryRequest> requests;
  private volatile Throwable failure;

  /**
   * @param onNewVersion told (on the stream's thread) of each type whose version changed, after
   *     the ACK was sent
   */
  AdsClient(Node node, BiConsumer<AdsClient, String> onNewVersion) {
    this.node = node;
    this.onNewVersion = onNewVersion;
  }

  void start(Channel channel) {
    requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(this);
    synchronized (this) {
      request(CDS, List.of());
      request(LDS, List.of());
    }
  }

  Throwable failure() {
    return failure;
  }

  private void request(String type, List<String> resourceNames) {
    names.put(type, resourceNames);
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(type)
            .addAllResourceNames(resourceNames)
            .setVersionInfo(versions.getOrDefault(type, ""))
            .setResponseNonce(nonces.getOrDefault(type, ""))
            .build());
  }

  @Override
  public synchronized void onNext(DiscoveryResponse r) {
    String type = r.getTypeUrl();
    String previous = versions.put(type, r.getVersionInfo());
    nonces.put(type, r.getNonce());
    try {
      if (type.equals(CDS)) {
        request(CDS, List.of());
        List<String> eds = edsClusters(r.getResourcesList());
        if (!eds.equals(names.get(EDS))) {
          request(EDS, eds);
        }
      } else if (type.equals(LDS)) {
        request(LDS, List.of());
        List<String> routes = routeNames(r.getResourcesList());
        if (!routes.equals(names.get(RDS))) {
          request(RDS, routes);
        }
      } else {
        request(type, names.getOrDefault(type, List.of()));
      }
    } catch (InvalidProtocolBufferException e) {
      failure = e;
      return;
    }
    if (!r.getVersionInfo().equals(previous)) {
      onNewVersion.accept(this, type);
    }
  }

  private static List<String> edsClusters(List<Any> resources)
      throws InvalidProtocolBufferException {
    TreeSet<String> out = new TreeSet<>();
    for (Any a : resources) {
      Cluster c = a.unpack(Cluster.class);
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        out.add(NAMES.computeIfAbsent(c.getName(), k -> k));
      }
    }
    return List.copyOf(out);
  }

  private static List<String> routeNames(List<Any> resources)
      throws InvalidProtocolBufferException {
    TreeSet<String> out = new TreeSet<>();
    for (Any a : resources) {
      Listener l = a.unpack(Listener.class);
      List<Filter> filters = new ArrayList<>();
      for (FilterChain fc : l.getFilterChainsList()) {
        filters.addAll(fc.getFiltersList());
      }
      if (l.hasDefaultFilterChain()) {
        filters.addAll(l.getDefaultFilterChain().getFiltersList());
      }
      for (Filter f : filters) {
        if (f.hasTypedConfig() && f.getTypedConfig().is(HttpConnectionManager.class)) {
          HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
          if (hcm.hasRds()) {
            out.add(NAMES.computeIfAbsent(hcm.getRds().getRouteConfigName(), k -> k));
          }
        }
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public void onError(Throwable t) {
    failure = t;
  }

  @Override
  public void onCompleted() {}

  void close() {
    try {
      requests.onCompleted();
    } catch (RuntimeException e) {
      // already closed
    }
  }
}
