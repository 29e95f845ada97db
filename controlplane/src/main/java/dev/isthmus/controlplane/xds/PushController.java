package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PushController} debounces change events and pushes new resources to connected proxies.
 *
 * <p>Events are merged until the quiet period passes without a new one, or the maximum delay since
 * the first merged event is reached. A push that carries only endpoint changes regenerates EDS for
 * the proxies that have a cluster of an affected host; any other change regenerates every type for
 * every proxy. Per connection at most one response per type is outstanding: resources set while a
 * proxy has not acknowledged the previous response replace each other, and the proxy gets the
 * newest when it asks again.
 */
public final class PushController implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PushController.class);

  /**
   * One change.
   *
   * @param full whether anything other than endpoints changed
   * @param hosts hosts whose endpoints changed; empty with {@code full == false} means all hosts
   */
  public record Change(boolean full, Set<String> hosts) {
    /** A configuration or service change. */
    public static Change config() {
      return new Change(true, Set.of());
    }

    /** An endpoint change of the given hosts (all when empty). */
    public static Change endpoints(Set<String> hosts) {
      return new Change(false, Set.copyOf(hosts));
    }
  }

  private final Supplier<MeshSnapshot> source;
  private final XdsCache cache;
  private final XdsMetrics metrics;
  private final long quietNanos;
  private final long maxNanos;
  private final ScheduledExecutorService executor;
  private final AtomicReference<MeshSnapshot> current = new AtomicReference<>();
  private final AtomicLong pushes = new AtomicLong();

  private final Object lock = new Object();
  private boolean scheduled;
  private long firstEvent;
  private long lastEvent;
  private boolean pendingFull;
  private boolean pendingAllEndpoints;
  private final Set<String> pendingHosts = new HashSet<>();

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
  }

  /** Builds the first snapshot synchronously. */
  public void initialize() {
    current.set(source.get());
  }

  /** The snapshot of the last push. */
  public MeshSnapshot current() {
    MeshSnapshot s = current.get();
    if (s == null) {
      s = source.get();
      current.compareAndSet(null, s);
    }
    return current.get();
  }

  /** Number of pushes done. */
  public long pushCount() {
    return pushes.get();
  }

  /** Records a change; the push follows after debouncing. */
  public void onChange(Change change) {
    long now = System.nanoTime();
    synchronized (lock) {
      if (!pendingFull && !pendingAllEndpoints && pendingHosts.isEmpty()) {
        firstEvent = now;
      }
      lastEvent = now;
      if (change.full()) {
        pendingFull = true;
      } else if (change.hosts().isEmpty()) {
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
    boolean full;
    boolean allEndpoints;
    Set<String> hosts;
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
      full = pendingFull;
      allEndpoints = pendingAllEndpoints;
      hosts = Set.copyOf(pendingHosts);
      first = firstEvent;
      pendingFull = false;
      pendingAllEndpoints = false;
      pendingHosts.clear();
    }
    try {
      push(full, allEndpoints, hosts, first);
    } catch (RuntimeException e) {
      LOG.error("push failed; proxies keep their current configuration", e);
    }
  }

  private void push(boolean full, boolean allEndpoints, Set<String> hosts, long firstEventNanos) {
    long start = System.nanoTime();
    MeshSnapshot mesh = source.get();
    current.set(mesh);
    int touched = 0;
    for (ProxyNode p : cache.proxies()) {
      ProxyResources previous = cache.resources(p.id());
      if (previous == null) {
        continue;
      }
      ProxyResources next;
      try {
        if (full) {
          next = ResourceGenerator.generate(mesh, p);
        } else if (allEndpoints || affected(previous, hosts)) {
          next = ResourceGenerator.regenerateEndpoints(mesh, p, previous);
        } else {
          continue;
        }
      } catch (RuntimeException e) {
        LOG.error(
            "generating resources for {} failed; it keeps its current configuration", p.id(), e);
        continue;
      }
      cache.setResources(p.id(), next);
      touched++;
    }
    long end = System.nanoTime();
    pushes.incrementAndGet();
    metrics.pushCompleted(full, (end - firstEventNanos) / 1e9, (end - start) / 1e9);
    LOG.debug(
        "{} push to {} proxies in {} ms",
        full ? "full" : "eds",
        touched,
        (end - start) / 1_000_000);
  }

  private static boolean affected(ProxyResources previous, Set<String> hosts) {
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
  }
}
