package dev.isthmus.controlplane;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LeaderLease} runs a writer only on the replica that holds a {@code coordination.k8s.io}
 * Lease, as istiod does for its cluster-wide writers: one Lease per controller, named as in Istio
 * ({@link #NAMESPACE_CONTROLLER}, {@link #VALIDATION_CONTROLLER}). Serving (xDS, CA signing,
 * webhooks) does not need it and runs on every replica.
 *
 * <p>The writer is started when the Lease is acquired and closed when it is lost; after a loss the
 * replica campaigns again. On {@link #close()} the Lease is released, so another replica takes over
 * at its next retry instead of waiting for the Lease to expire.
 */
public final class LeaderLease implements AutoCloseable {
  /** The Lease of the writer of {@code istio-ca-root-cert} into every namespace. */
  public static final String NAMESPACE_CONTROLLER = "istio-namespace-controller-election";

  /**
   * The Lease of the writer of webhook configurations' {@code caBundle}, one per revision ({@link
   * #perRevision}): each revision patches only its own webhook configurations, so that during a
   * canary upgrade both revisions' webhooks keep a current caBundle.
   */
  public static final String VALIDATION_CONTROLLER = "istio-validation-controller-election";

  /**
   * The name of a per-revision Lease, as Istio names them: {@code <name>-<revision>}, with {@code
   * default} for the unnamed revision.
   */
  public static String perRevision(String name, String revision) {
    return name + "-" + (revision == null || revision.isEmpty() ? "default" : revision);
  }

  /**
   * Istio's lease duration. Renewal must succeed within half of it; retries come every fifth (Istio
   * retries every quarter, which fabric8's jittered retry does not allow with a half-time
   * deadline).
   */
  public static final Duration DEFAULT_DURATION = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(LeaderLease.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final String identity;
  private final Duration duration;
  private final Supplier<AutoCloseable> writer;
  private volatile boolean closed;
  private CompletableFuture<?> election;
  private AutoCloseable running;

  private LeaderLease(
      KubernetesClient client,
      String namespace,
      String name,
      Duration duration,
      Supplier<AutoCloseable> writer) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.duration = duration;
    this.writer = writer;
    this.identity = podName() + "_" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Campaigns for Lease {@code namespace/name} and calls {@code writer} each time it is acquired;
   * what it returns is closed when the Lease is lost or this is closed.
   */
  public static LeaderLease start(
      KubernetesClient client,
      String namespace,
      String name,
      Duration duration,
      Supplier<AutoCloseable> writer) {
    LeaderLease lease = new LeaderLease(client, namespace, name, duration, writer);
    lease.campaign();
    return lease;
  }

  /** This replica's holder identity: the pod name and a random suffix. */
  public String identity() {
    return identity;
  }

  /** True while this replica holds the Lease and its writer runs. */
  public synchronized boolean leading() {
    return running != null;
  }

  private synchronized void campaign() {
    if (closed) {
      return;
    }
    election =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName(name)
                    .withLock(new LeaseLock(namespace, name, identity))
                    .withLeaseDuration(duration)
                    .withRenewDeadline(duration.dividedBy(2))
                    .withRetryPeriod(duration.dividedBy(5))
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(this::started, this::stopped, this::observed))
                    .build())
            .build()
            .start();
    election.whenComplete(
        (ok, error) -> {
          stopped();
          if (!closed) {
            // Lost after holding it (renewal failed, e.g. the API server was unreachable).
            LOG.warn("Lease {}/{} lost; campaigning again", namespace, name);
            campaign();
          }
        });
  }

  private synchronized void started() {
    if (closed || running != null) {
      return;
    }
    LOG.info("Lease {}/{} acquired by {}: starting its writer", namespace, name, identity);
    running = writer.get();
  }

  private synchronized void stopped() {
    if (running == null) {
      return;
    }
    LOG.info("Lease {}/{} no longer held by {}: stopping its writer", namespace, name, identity);
    try {
      running.close();
    } catch (Exception e) {
      LOG.warn("stopping the writer of Lease {}/{} failed", namespace, name, e);
    }
    running = null;
  }

  private void observed(String leader) {
    LOG.debug("Lease {}/{} is held by {}", namespace, name, leader);
  }

  private static String podName() {
    return Optional.ofNullable(System.getenv("POD_NAME"))
        .or(() -> Optional.ofNullable(System.getenv("HOSTNAME")))
        .filter(s -> !s.isBlank())
        .orElse("istiod");
  }

  /** Stops the writer and releases the Lease. */
  @Override
  public void close() {
    CompletableFuture<?> e;
    synchronized (this) {
      closed = true;
      e = election;
    }
    stopped();
    if (e != null) {
      e.cancel(true);
    }
  }
}
