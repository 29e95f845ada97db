package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.Change;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PushController} debounces change events and pushes new resources to connected proxies.
 *
 * <p>Events are merged until the quiet period passes without a new one, or the maximum delay since
 * the first merged event is reached. A merged push then recomputes every type for the proxies a
 * changed configuration concerns ({@link AffectedProxies}; all of them after a mesh-wide change),
 * and only the assignments of changed hosts for the other proxies that have an EDS cluster of such
 * a host; everyone else is left alone. All proxies of a push share one {@link PushContext}, so each
 * assignment is built once. Per connection at most one response per type is outstanding: resources
 * set while a proxy has not acknowledged the previous response replace each other, and the proxy
 * gets the newest when it asks again.
 */
public final class PushController implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PushController.class);

  private final Supplier<MeshSnapshot> source;
  private final XdsCache cache;
  private final XdsMetrics metrics;
  private final long quietNanos;
  private final long maxNanos;
  private final ScheduledExecutorService executor;
  private final ForkJoinPool workers;
  private final AtomicReference<PushContext> context = new AtomicReference<>();
  private final AtomicLong pushes = new AtomicLong();
  private final AtomicReference<Change> lastPush = new AtomicReference<>();

  private final Object lock = new Object();
  private boolean scheduled;
  private long firstEvent;
  private long lastEvent;
  private boolean pending;
  private boolean pendingMeshWide;
  private boolean pendingAllEndpoints;
  private final Set<String> pendingHosts = new HashSet<>();
  private final Set<ConfigKey> pendingConfigs = new HashSet<>();

  /**
   * @param source builds a fresh mesh snapshot from what discovery has seen
   * @param cache per-proxy resources
   * @param metrics push metrics
   * @param quiet debounce quiet period (100 ms in Istio)
   * @param max longest a change waits (10 s in Istio)
   */
  public PushController(
      Supplier<MeshSnapshot> source,
      XdsCache cache,
      XdsMetrics metrics,
      Duration quiet,
      Duration max) {
    this.source = source;
    this.cache = cache;
    this.metrics = metrics;
    this.quietNanos = quiet.toNanos();
    this.maxNanos = max.toNanos();
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "xds-push");
              t.setDaemon(true);
              return t;
            });
    this.workers = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  /** Builds the first snapshot synchronously. */
  public void initialize() {
    context.set(new PushContext(source.get()));
  }

  private PushContext context() {
    PushContext c = context.get();
    if (c == null) {
      context.compareAndSet(null, new PushContext(source.get()));
    }
    return context.get();
  }

  /** The snapshot of the last push. */
  public MeshSnapshot current() {
    return context().mesh();
  }

  /**
   * Resources for a newly connecting proxy from the last push's snapshot, sharing its EDS cache.
   */
  public ProxyResources generate(ProxyNode proxy) {
    return ResourceGenerator.generate(context(), proxy);
  }

  /** Number of pushes done. */
  public long pushCount() {
    return pushes.get();
  }

  /** The merged change of the last push, or null before the first. */
  public Change lastPush() {
    return lastPush.get();
  }

  /** Records a change; the push follows after debouncing. Null is ignored. */
  public void onChange(Change change) {
    if (change == null) {
      return;
    }
    long now = System.nanoTime();
    synchronized (lock) {
      if (!pending) {
        firstEvent = now;
        pending = true;
      }
      lastEvent = now;
      if (change.meshWide()) {
        pendingMeshWide = true;
      }
      pendingConfigs.addAll(change.configs());
      if (!change.full() && change.hosts().isEmpty()) {
        pendingAllEndpoints = true;
      } else {
        pendingHosts.addAll(change.hosts());
      }
      if (!scheduled) {
        scheduled = true;
        executor.schedule(this::check, Math.min(quietNanos, maxNanos), TimeUnit.NANOSECONDS);
      }
    }
  }

  private void check() {
    long now = System.nanoTime();
    Change merged;
    boolean allEndpoints;
    long first;
    synchronized (lock) {
      long sinceLast = now - lastEvent;
      long sinceFirst = now - firstEvent;
      if (sinceLast < quietNanos && sinceFirst < maxNanos) {
        long wait = Math.min(quietNanos - sinceLast, maxNanos - sinceFirst);
        executor.schedule(this::check, wait, TimeUnit.NANOSECONDS);
        return;
      }
      scheduled = false;
      merged =
          pendingMeshWide
              ? new Change(true, pendingHosts, Set.of())
              : pendingConfigs.isEmpty()
                  ? Change.endpoints(pendingAllEndpoints ? Set.of() : pendingHosts)
                  : new Change(true, pendingHosts, pendingConfigs);
      allEndpoints = pendingAllEndpoints;
      first = firstEvent;
      pending = false;
      pendingMeshWide = false;
      pendingAllEndpoints = false;
      pendingHosts.clear();
      pendingConfigs.clear();
    }
    try {
      push(merged, allEndpoints, first);
    } catch (RuntimeException e) {
      LOG.error("push failed; proxies keep their current configuration", e);
    }
  }

  private void push(Change change, boolean allEndpoints, long firstEventNanos) {
    long start = System.nanoTime();
    PushContext previous = context();
    MeshSnapshot mesh = source.get();
    if (!change.meshWide()) {
      change = withIdentityChanges(change, allEndpoints, previous.mesh(), mesh);
    }
    boolean keepEndpoints =
        !change.meshWide() && change.kinds().stream().allMatch(k -> k == ConfigKey.Kind.WORKLOAD);
    PushContext ctx = previous.next(mesh, keepEndpoints, allEndpoints, change.hosts());
    context.set(ctx);
    lastPush.set(change);
    AffectedProxies affected = new AffectedProxies(previous.mesh(), mesh);
    // Deciding is cheap and uses per-push caches that are not thread-safe; generating is done in
    // parallel afterwards.
    List<Runnable> work = new ArrayList<>();
    AtomicInteger touched = new AtomicInteger();
    for (XdsCache.Stream stream : cache.streams()) {
      ProxyNode p = stream.proxy();
      ProxyResources before = cache.resources(stream.key());
      if (before == null) {
        continue;
      }
      if (change.meshWide() || (change.full() && affected.affects(p, change.configs()))) {
        work.add(() -> set(stream, () -> ResourceGenerator.generate(ctx, p), touched));
      } else if (allEndpoints || watches(before, change.hosts())) {
        Set<String> hosts = allEndpoints ? null : change.hosts();
        work.add(
            () ->
                set(
                    stream,
                    () -> ResourceGenerator.regenerateEndpoints(ctx, p, before, hosts),
                    touched));
      }
    }
    if (work.size() > 1) {
      workers.submit(() -> work.parallelStream().forEach(Runnable::run)).join();
    } else {
      work.forEach(Runnable::run);
    }
    long end = System.nanoTime();
    metrics.pushCompleted(change.full(), end - firstEventNanos, end - start);
    // counted last: whoever sees the count also sees the metrics of that push
    pushes.incrementAndGet();
    LOG.debug(
        "{} push ({} configs, {} hosts) to {} proxies in {} ms",
        change.meshWide() ? "full" : change.full() ? "scoped" : "eds",
        change.configs().size(),
        allEndpoints ? "all" : change.hosts().size(),
        touched.get(),
        (end - start) / 1_000_000);
  }

  /**
   * The change with a service key for each host whose identities ({@link ServiceAccounts}) differ:
   * clients verify the server against them in CDS, so, as in Istio, an endpoint update that brings
   * a new service account (or drops one) is a configuration change for the host's clients.
   */
  static Change withIdentityChanges(
      Change change, boolean allEndpoints, MeshSnapshot before, MeshSnapshot after) {
    Set<String> hosts = allEndpoints ? null : change.hosts();
    if (hosts != null && hosts.isEmpty()) {
      return change;
    }
    Set<String> changed = ServiceAccounts.changed(before, after, hosts);
    if (changed.isEmpty()) {
      return change;
    }
    Set<ConfigKey> configs = new HashSet<>(change.configs());
    for (String h : changed) {
      configs.add(ConfigKey.service(ServiceAccounts.namespace(before, after, h), h));
    }
    return new Change(true, change.hosts(), configs);
  }

  private void set(
      XdsCache.Stream stream, Supplier<ProxyResources> generate, AtomicInteger touched) {
    ProxyResources next;
    try {
      next = generate.get();
    } catch (RuntimeException e) {
      LOG.error(
          "generating resources for {} failed; it keeps its current configuration",
          stream.proxy().id(),
          e);
      return;
    }
    cache.setResources(stream.key(), next);
    touched.incrementAndGet();
  }

  /** Whether the proxy has an EDS cluster of one of the hosts. */
  static boolean watches(ProxyResources previous, Set<String> hosts) {
    if (hosts.isEmpty()) {
      return false;
    }
    for (String cluster : previous.resources(Resources.V3.ENDPOINT_TYPE_URL).keySet()) {
      String h = Names.hostOfCluster(cluster);
      if (h != null && hosts.contains(h)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    executor.shutdownNow();
    workers.shutdownNow();
  }
}
