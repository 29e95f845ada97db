package dev.isthmus.controlplane.xds;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.WatchCancelledException;
import io.envoyproxy.controlplane.cache.XdsRequest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code XdsCache} is the {@link ConfigWatcher} behind java-control-plane's discovery server: one
 * {@link ProxyResources} per open stream, and the open SotW and Delta watches of that stream.
 *
 * <p>State belongs to the stream, never to the node id a client chose: {@link AdsService} gives
 * every stream a key of its own and puts it in the node of each request it forwards, so two streams
 * that claim the same node id neither read nor overwrite each other's resources (a gateway's SDS
 * credentials among them).
 *
 * <p>Unlike {@code SimpleCache} it never answers a NACK with the rejected version again (the watch
 * waits for a newer one, so the proxy keeps its last accepted config), answers SotW requests with
 * the subset of requested names that exists (as Istio does), and never responds to type URLs it
 * does not generate.
 */
public final class XdsCache implements ConfigWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(XdsCache.class);
  static final List<String> ORDER =
      List.of(
          Resources.V3.CLUSTER_TYPE_URL,
          Resources.V3.ENDPOINT_TYPE_URL,
          Resources.V3.LISTENER_TYPE_URL,
          Resources.V3.ROUTE_TYPE_URL,
          Resources.V3.SECRET_TYPE_URL);

  /** Per stream key. */
  private final ConcurrentHashMap<String, NodeState> nodes = new ConcurrentHashMap<>();

  private final Function<ProxyNode, ProxyResources> initial;

  /**
   * Adds what depends on the stream rather than on the mesh (the SDS credentials a proxy whose
   * identity was verified may read) to generated resources.
   */
  public interface Decorator {
    ProxyResources decorate(ProxyNode proxy, String verifiedIdentity, ProxyResources generated);
  }

  private volatile Decorator decorator = (proxy, identity, generated) -> generated;

  private volatile BiConsumer<String, ProxyResources> listener = (stream, resources) -> {};

  /**
   * Installs what is told of every stream's new resources (after decoration): types this cache does
   * not answer itself are sent from there.
   */
  public void onResources(BiConsumer<String, ProxyResources> l) {
    this.listener = l;
  }

  /** Installs the decorator applied to every node's resources from now on. */
  public void decorator(Decorator d) {
    this.decorator = d;
  }

  /**
   * @param initial generates the first resources of a node when it connects
   */
  public XdsCache(Function<ProxyNode, ProxyResources> initial) {
    this.initial = initial;
  }

  private static final class NodeState {
    final ProxyNode proxy;
    final String identity;
    ProxyResources resources;
    final Map<Watch, String> watches = new HashMap<>();
    final Map<DeltaWatch, String> deltaWatches = new HashMap<>();

    /** Last SotW version sent per type URL, to recognise which version a NACK rejects. */
    final Map<String, String> lastSent = new HashMap<>();

    /**
     * Endpoint assignments this stream was last sent, by name, with their version (SotW): a push
     * sends only those that changed, as the xDS protocol allows for EDS.
     */
    final Map<String, String> sentAssignments = new HashMap<>();

    /**
     * The version of each cluster when its endpoint assignment was last sent (Delta): after a
     * cluster update, only the assignments of clusters that changed are sent again.
     */
    final Map<String, String> assignmentClusters = new HashMap<>();

    /**
     * Per type, the resources of the last delta responses sent, by the version they carried
     * (Delta): a watch that reports one of these versions, with no NACK and no new subscription,
     * holds exactly those resources of the ones it subscribes to, so that its next response is the
     * difference between two shared maps instead of a comparison of every resource.
     */
    final Map<String, Map<String, Map<String, VersionedResource<?>>>> deltaSent = new HashMap<>();

    NodeState(ProxyNode proxy, String identity, ProxyResources resources) {
      this.proxy = proxy;
      this.identity = identity;
      this.resources = resources;
    }
  }

  /**
   * One open stream.
   *
   * @param key the stream's key, chosen by the control plane
   * @param proxy the proxy the stream's first request described
   */
  public record Stream(String key, ProxyNode proxy) {}

  /**
   * Registers a stream and generates its resources.
   *
   * @param stream the stream's key, unique among open streams
   * @param proxy the proxy the stream's first request described
   * @param verifiedIdentity the caller's identity as the transport proved it, or null when the
   *     stream is not authenticated
   * @throws IllegalStateException when a stream with this key is already registered
   */
  public void connect(String stream, ProxyNode proxy, String verifiedIdentity) {
    NodeState fresh = new NodeState(proxy, verifiedIdentity, initial.apply(proxy));
    if (nodes.putIfAbsent(stream, fresh) != null) {
      throw new IllegalStateException("stream " + stream + " is already registered");
    }
    // decorated outside the map's lock: the decorator may ask the API server
    setResources(stream, fresh.resources);
  }

  /** Applies the decorator again to every stream (credentials changed); sends what changed. */
  public void redecorate() {
    for (var e : nodes.entrySet()) {
      ProxyResources current;
      synchronized (e.getValue()) {
        current = e.getValue().resources;
      }
      setResources(e.getKey(), current);
    }
  }

  /** Unregisters a stream; its state goes away with it. */
  public void disconnect(String stream) {
    nodes.remove(stream);
  }

  /** Registered streams, and their open SotW and Delta watches and sent versions. */
  Map<String, Integer> stateSizes() {
    int watches = 0;
    int deltaWatches = 0;
    int lastSent = 0;
    for (NodeState s : nodes.values()) {
      synchronized (s) {
        watches += s.watches.size();
        deltaWatches += s.deltaWatches.size();
        lastSent += s.lastSent.size();
      }
    }
    return Map.of(
        "cache.streams",
        nodes.size(),
        "cache.watches",
        watches,
        "cache.deltaWatches",
        deltaWatches,
        "cache.lastSent",
        lastSent);
  }

  /** Open streams and their proxies. */
  public List<Stream> streams() {
    List<Stream> out = new ArrayList<>();
    nodes.forEach((k, s) -> out.add(new Stream(k, s.proxy)));
    return out;
  }

  /** Current resources of a stream, or null when it is not open. */
  public ProxyResources resources(String stream) {
    NodeState s = nodes.get(stream);
    if (s == null) {
      return null;
    }
    synchronized (s) {
      return s.resources;
    }
  }

  /**
   * Replaces a stream's resources and answers its open watches whose view changed, CDS before EDS
   * before LDS before RDS.
   */
  public void setResources(String stream, ProxyResources resources) {
    NodeState s = nodes.get(stream);
    if (s == null) {
      return;
    }
    List<Runnable> sends = new ArrayList<>();
    resources = decorator.decorate(s.proxy, s.identity, resources);
    synchronized (s) {
      ProxyResources before = s.resources;
      s.resources = resources;
      for (String type : ORDER) {
        if (unchanged(before, resources, type)) {
          // every open watch was up to date with the previous resources: nothing to answer
          continue;
        }
        var it = s.watches.entrySet().iterator();
        while (it.hasNext()) {
          var e = it.next();
          Watch w = e.getKey();
          if (!w.request().getTypeUrl().equals(type)) {
            continue;
          }
          String version = resources.version(type, w.request().getResourceNamesList());
          if (!version.equals(e.getValue())) {
            it.remove();
            s.lastSent.put(type, version);
            Response r = sotwResponse(s, w.request(), resources, version, true);
            sends.add(() -> respond(w, r));
          }
        }
        var dit = s.deltaWatches.entrySet().iterator();
        while (dit.hasNext()) {
          var e = dit.next();
          DeltaWatch w = e.getKey();
          if (!w.request().getTypeUrl().equals(type)) {
            continue;
          }
          DeltaResponse r = deltaResponse(s, w, resources, false);
          if (r != null) {
            dit.remove();
            sends.add(() -> respond(w, r));
          }
        }
      }
    }
    sends.forEach(Runnable::run);
    listener.accept(stream, resources);
  }

  /**
   * Whether a type is the same map instance as before (shared maps make this the common case of a
   * push that changed other types); endpoint assignments also depend on the clusters, which are
   * resent after a cluster update.
   */
  private static boolean unchanged(ProxyResources before, ProxyResources after, String type) {
    if (before == null || before.resources(type) != after.resources(type)) {
      return false;
    }
    return !type.equals(Resources.V3.ENDPOINT_TYPE_URL)
        || before.resources(Resources.V3.CLUSTER_TYPE_URL)
            == after.resources(Resources.V3.CLUSTER_TYPE_URL);
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    Watch watch = new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
    NodeState s = nodes.get(request.v3Request().getNode().getId());
    String type = request.getTypeUrl();
    if (s == null || !ORDER.contains(type)) {
      return watch;
    }
    Response response = null;
    synchronized (s) {
      ProxyResources res = s.resources;
      List<String> names = request.getResourceNamesList();
      String version = res.version(type, names);
      boolean respond;
      String baseline = request.getVersionInfo();
      if (request.hasErrorDetail()) {
        // NACK: the proxy keeps its last accepted version; answer only with a version newer than
        // the rejected one, never the rejected one again.
        baseline = s.lastSent.getOrDefault(type, version);
        respond = !version.equals(baseline);
      } else if (hasClusterChanged && type.equals(Resources.V3.ENDPOINT_TYPE_URL)) {
        respond = true;
      } else if (!knownResourceNames.equals(new HashSet<>(names))
          && names.stream()
              .anyMatch(
                  n -> !knownResourceNames.contains(n) && res.resources(type).containsKey(n))) {
        respond = true;
      } else {
        respond = !version.equals(request.getVersionInfo());
      }
      if (respond) {
        s.lastSent.put(type, version);
        response = sotwResponse(s, request, res, version, false);
      } else {
        s.watches.put(watch, baseline);
        watch.setStop(
            () -> {
              synchronized (s) {
                s.watches.remove(watch);
              }
            });
      }
    }
    if (response != null) {
      respond(watch, response);
    }
    return watch;
  }

  @Override
  public DeltaWatch createDeltaWatch(
      DeltaXdsRequest request,
      String requesterVersion,
      Map<String, String> resourceVersions,
      Set<String> pendingResources,
      boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer,
      boolean hasClusterChanged) {
    DeltaWatch watch =
        new DeltaWatch(
            request,
            Map.copyOf(resourceVersions),
            Set.copyOf(pendingResources),
            requesterVersion,
            isWildcard,
            responseConsumer);
    NodeState s = nodes.get(request.v3Request().getNode().getId());
    String type = request.getTypeUrl();
    if (s == null || !ORDER.contains(type)) {
      return watch;
    }
    DeltaResponse response = null;
    synchronized (s) {
      ProxyResources res = s.resources;
      String typeVersion = res.version(type, List.of());
      boolean nackOfCurrent = request.hasErrorDetail() && typeVersion.equals(requesterVersion);
      if (!nackOfCurrent) {
        response =
            deltaResponse(
                s, watch, res, hasClusterChanged && type.equals(Resources.V3.ENDPOINT_TYPE_URL));
      }
      if (response == null) {
        s.deltaWatches.put(watch, requesterVersion);
        watch.setStop(
            () -> {
              synchronized (s) {
                s.deltaWatches.remove(watch);
              }
            });
      }
    }
    if (response != null) {
      respond(watch, response);
    }
    return watch;
  }

  /**
   * A SotW response. Listeners and clusters are always the whole set; on a push ({@code
   * changedOnly}) endpoint assignments are only those whose version differs from what the stream
   * was last sent, since a SotW client keeps the assignments a response leaves out (the protocol's
   * rule for every type but listeners and clusters). A request is answered in full.
   */
  private static Response sotwResponse(
      NodeState s, XdsRequest request, ProxyResources res, String version, boolean changedOnly) {
    String type = request.getTypeUrl();
    Map<String, VersionedResource<?>> all = res.resources(type);
    boolean eds = type.equals(Resources.V3.ENDPOINT_TYPE_URL);
    Collection<Message> out = new ArrayList<>();
    Collection<String> names =
        request.getResourceNamesList().isEmpty()
            ? all.keySet()
            : new TreeSet<>(request.getResourceNamesList());
    for (String n : names) {
      VersionedResource<?> v = all.get(n);
      if (v == null) {
        continue;
      }
      if (eds) {
        String sent = s.sentAssignments.put(n, v.version());
        if (changedOnly && v.version().equals(sent)) {
          continue;
        }
      }
      out.add(v.resource());
    }
    if (eds) {
      s.sentAssignments.keySet().retainAll(names);
    }
    return Response.create(request, out, version);
  }

  /**
   * Changed and removed resources for a delta watch, or null when nothing changed. After a cluster
   * update ({@code clustersChanged}, endpoint watches only) Envoy warms each updated cluster again
   * and waits for its assignment: as Istio does, the assignments of the clusters that changed since
   * they were last sent go again, and no others.
   */
  private static DeltaResponse deltaResponse(
      NodeState s, DeltaWatch w, ProxyResources res, boolean clustersChanged) {
    String type = w.request().getTypeUrl();
    Map<String, Map<String, VersionedResource<?>>> sent =
        s.deltaSent.computeIfAbsent(type, t -> new java.util.LinkedHashMap<>(8, 0.75f, true));
    Map<String, VersionedResource<?>> known = sent.get(w.version());
    DeltaResponse r =
        known != null
                && !clustersChanged
                && w.pendingResources().isEmpty()
                && !w.request().v3Request().hasErrorDetail()
            ? deltaFromKnown(s, w, res, known)
            : fullDeltaResponse(s, w, res, clustersChanged);
    if (r != null) {
      sent.put(r.version(), res.resources(type));
      if (sent.size() > 4) {
        sent.remove(sent.keySet().iterator().next());
      }
    }
    return r;
  }

  /**
   * The delta response of a watch that holds {@code known}: only the resources that differ between
   * {@code known} and the current ones (the same shared pair of maps for every proxy of a push, so
   * the difference is computed once) are compared with what the watch tracks.
   */
  private static DeltaResponse deltaFromKnown(
      NodeState s, DeltaWatch w, ProxyResources res, Map<String, VersionedResource<?>> known) {
    String type = w.request().getTypeUrl();
    Map<String, VersionedResource<?>> current = res.resources(type);
    if (known == current) {
      return null;
    }
    boolean eds = type.equals(Resources.V3.ENDPOINT_TYPE_URL);
    Map<String, VersionedResource<?>> clusters =
        eds ? res.resources(Resources.V3.CLUSTER_TYPE_URL) : Map.of();
    Map<String, VersionedResource<?>> changed = new HashMap<>();
    List<String> removed = new ArrayList<>();
    for (String name : ResourceDiff.between(known, current)) {
      VersionedResource<?> v = current.get(name);
      String tracked = w.trackedResources().get(name);
      if (v == null) {
        if (tracked != null) {
          removed.add(name);
        }
      } else if ((w.isWildcard() || tracked != null) && !v.version().equals(tracked)) {
        changed.put(name, v);
      }
    }
    if (eds) {
      changed.keySet().forEach(n -> s.assignmentClusters.put(n, clusterVersion(clusters, n)));
      removed.forEach(s.assignmentClusters::remove);
    }
    if (changed.isEmpty() && removed.isEmpty()) {
      return null;
    }
    return DeltaResponse.create(w.request(), changed, removed, res.version(type, List.of()));
  }

  private static DeltaResponse fullDeltaResponse(
      NodeState s, DeltaWatch w, ProxyResources res, boolean clustersChanged) {
    String type = w.request().getTypeUrl();
    boolean eds = type.equals(Resources.V3.ENDPOINT_TYPE_URL);
    Map<String, VersionedResource<?>> clusters =
        eds ? res.resources(Resources.V3.CLUSTER_TYPE_URL) : Map.of();
    Map<String, VersionedResource<?>> current = res.resources(type);
    Map<String, VersionedResource<?>> changed = new HashMap<>();
    for (var e : current.entrySet()) {
      String name = e.getKey();
      String tracked = w.trackedResources().get(name);
      boolean subscribed = w.isWildcard() || tracked != null || w.pendingResources().contains(name);
      if (!subscribed) {
        continue;
      }
      if ((clustersChanged
              && !clusterVersion(clusters, name).equals(s.assignmentClusters.get(name)))
          || w.pendingResources().contains(name)
          || tracked == null
          || !tracked.equals(e.getValue().version())) {
        changed.put(name, e.getValue());
      }
    }
    if (eds) {
      for (String name : changed.keySet()) {
        s.assignmentClusters.put(name, clusterVersion(clusters, name));
      }
      s.assignmentClusters.keySet().retainAll(current.keySet());
    }
    List<String> removed = new ArrayList<>();
    for (String name : w.trackedResources().keySet()) {
      if (!current.containsKey(name)) {
        removed.add(name);
      }
    }
    if (changed.isEmpty() && removed.isEmpty()) {
      return null;
    }
    return DeltaResponse.create(w.request(), changed, removed, res.version(type, List.of()));
  }

  /** An EDS assignment is named after its cluster (the cluster's {@code service_name}). */
  private static String clusterVersion(Map<String, VersionedResource<?>> clusters, String name) {
    VersionedResource<?> c = clusters.get(name);
    return c == null ? "" : c.version();
  }

  private static void respond(Watch w, Response r) {
    try {
      w.respond(r);
    } catch (WatchCancelledException e) {
      LOG.debug("watch for {} cancelled before response", r.request().getTypeUrl());
    }
  }

  private static void respond(DeltaWatch w, DeltaResponse r) {
    try {
      w.respond(r);
    } catch (WatchCancelledException e) {
      LOG.debug("delta watch for {} cancelled before response", r.request().getTypeUrl());
    }
  }
}
