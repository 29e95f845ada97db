package dev.isthmus.controlplane.authn;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code JwksResolver} fetches the JSON Web Key Sets that RequestAuthentications point at, so that
 * proxies get them inline and never reach the key server themselves.
 *
 * <p>A key set is looked up by its {@code jwksUri}, or, when a rule gives only an issuer, by OpenID
 * discovery ({@code <issuer>/.well-known/openid-configuration}, field {@code jwks_uri}). The first
 * lookup fetches while the caller waits (bounded by the rule's timeout); afterwards one background
 * job refreshes every cached set on {@link Settings#refreshInterval()}, sooner after a failure and
 * then backing off. A refresh that fails keeps the last set that was fetched. A set that was never
 * fetched is answered with {@link #FAIL_CLOSED_JWKS}, which no token verifies against. Listeners
 * registered with {@link #onChange(Runnable)} run when a refresh changes a set, so the caller can
 * push new configuration.
 */
public final class JwksResolver implements KeySets, AutoCloseable {
  /**
   * {@code FAIL_CLOSED_JWKS} is a key set holding one RSA public key whose private key was
   * discarded when it was made. A token cannot verify against it, so a provider whose keys could
   * not be fetched rejects every token instead of accepting forged ones, while requests without a
   * token still pass as RequestAuthentication allows.
   */
  public static final String FAIL_CLOSED_JWKS =
      "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\""
          + "29aCKiaKnjmY2yeAclTbLBEMNSUU7aScdh8ACM06OwdZ1HBh-6-nTPy-J8oT6L7UpyTHDgrH9lyPe3r0"
          + "gwGylmJlao4HcWrTVnpn_ewPMJ38awws0FiToxZUZa9p_pikozB9tEirMpMLfzZ0HGSxBwM-6tHr1TJN"
          + "5pkArdln7cy49E1BZ6KLzkgZmiy-Lgw53_p3qQW1T1OJh_eo6i3_gpLYiAaQFRippv7WRd6-Zem6woEX"
          + "jaCIuMrg9wutKwwEtbTaK5EOeHnhppF35HIwKFZqCa4lDZ-eC0Dp_q_rZK5O2vT0YcDf3CzxzXF5OTXZ"
          + "W2hhQ4oKK7iaRQicF7Y9Qw"
          + "\"}]}";

  private static final Logger LOG = LoggerFactory.getLogger(JwksResolver.class);

  /**
   * {@code Settings} are the resolver's timings.
   *
   * @param refreshInterval how often cached key sets are fetched again while fetches succeed
   * @param refreshIntervalOnFailure the first, shorter interval after a refresh had a failure
   * @param maxRefreshIntervalOnFailure the cap for the interval, which doubles while failures last
   * @param retries how many times a background fetch is retried before it counts as failed
   * @param retryInterval the pause between those retries
   * @param evictAfter a key set not asked for, or not fetched successfully, for this long is
   *     dropped
   */
  public record Settings(
      Duration refreshInterval,
      Duration refreshIntervalOnFailure,
      Duration maxRefreshIntervalOnFailure,
      int retries,
      Duration retryInterval,
      Duration evictAfter) {
    /** {@code Settings} refuses intervals that are not positive, naming the field. */
    public Settings {
      positive("refreshInterval", refreshInterval);
      positive("refreshIntervalOnFailure", refreshIntervalOnFailure);
      positive("maxRefreshIntervalOnFailure", maxRefreshIntervalOnFailure);
      positive("retryInterval", retryInterval);
      positive("evictAfter", evictAfter);
      if (retries < 0) {
        throw new IllegalArgumentException("retries: expected >= 0, got " + retries);
      }
    }

    /**
     * {@code defaults} are istiod's: refresh every 20 minutes, after a failure every minute
     * doubling up to an hour, 7 retries a second apart, and eviction after a week.
     */
    public static Settings defaults() {
      return new Settings(
          Duration.ofMinutes(20),
          Duration.ofMinutes(1),
          Duration.ofHours(1),
          7,
          Duration.ofSeconds(1),
          Duration.ofDays(7));
    }

    /** {@code withRefreshInterval} returns these settings with another regular interval. */
    public Settings withRefreshInterval(Duration interval) {
      return new Settings(
          interval,
          refreshIntervalOnFailure,
          maxRefreshIntervalOnFailure,
          retries,
          retryInterval,
          evictAfter);
    }

    private static void positive(String field, Duration d) {
      if (d == null || d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(field + ": expected a positive duration, got " + d);
      }
    }
  }

  /** A jwksUri, or an issuer whose jwksUri comes from discovery (then {@code jwksUri} is empty). */
  private record Key(String issuer, String jwksUri) {
    String describe() {
      return jwksUri.isEmpty() ? "issuer " + issuer : jwksUri;
    }
  }

  /** {@code keySet} is null until a fetch succeeds. */
  private record Entry(
      String keySet, Instant created, Instant lastSuccess, Instant lastUsed, Duration timeout) {
    Instant freshSince() {
      return lastSuccess != null ? lastSuccess : created;
    }
  }

  private final Settings settings;
  private final InstantSource clock;
  private final JwksFetcher fetcher;
  private final ScheduledExecutorService scheduler;
  private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  // Guarded by this; refreshes run one at a time.
  private Duration nextRefresh;
  private boolean lastRefreshFailed;
  private volatile boolean closed;

  /** {@code JwksResolver} with istiod's default timings. */
  public JwksResolver() {
    this(Settings.defaults());
  }

  /** {@code JwksResolver} with the given timings; its refresh job starts at once. */
  public JwksResolver(Settings settings) {
    this(settings, InstantSource.system());
  }

  JwksResolver(Settings settings, InstantSource clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    // Redirects are not followed: the target of a redirect would escape the address check below.
    this.fetcher = new JwksFetcher();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "jwks-resolver");
              t.setDaemon(true);
              return t;
            });
    this.nextRefresh = settings.refreshInterval();
    schedule(nextRefresh);
  }

  /**
   * {@code onChange} registers a listener that runs, on the refresh thread, after a set changed.
   */
  public void onChange(Runnable listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * {@code localJwks} returns the {@code local_jwks} data source for one JWT rule: its inline
   * {@code jwks} when it has one, otherwise the resolved key set.
   */
  public DataSource localJwks(String issuer, String jwksUri, String inlineJwks, Duration timeout) {
    String keys =
        inlineJwks != null && !inlineJwks.isEmpty() ? inlineJwks : keySet(issuer, jwksUri, timeout);
    return DataSource.newBuilder().setInlineString(keys).build();
  }

  /**
   * {@code keySet} returns the key set for a jwksUri, or for an issuer by discovery when the
   * jwksUri is empty; {@link #FAIL_CLOSED_JWKS} when it was never fetched. The first call for a
   * source fetches it, waiting at most {@code timeout}.
   */
  public String keySet(String issuer, String jwksUri, Duration timeout) {
    Duration bound =
        timeout == null || timeout.isZero() || timeout.isNegative()
            ? JwtFilterBuilder.DEFAULT_FETCH_TIMEOUT
            : timeout;
    Key key = key(issuer, jwksUri);
    if (key == null) {
      LOG.error("JWT rule has neither jwksUri nor issuer; its provider rejects every token");
      return FAIL_CLOSED_JWKS;
    }
    Instant now = clock.instant();
    Entry cached =
        entries.computeIfPresent(
            key,
            (k, e) ->
                new Entry(
                    e.keySet(),
                    e.created(),
                    e.lastSuccess(),
                    now.isAfter(e.lastUsed()) ? now : e.lastUsed(),
                    bound));
    if (cached != null) {
      return cached.keySet() != null ? cached.keySet() : FAIL_CLOSED_JWKS;
    }
    String fetched = null;
    try {
      // No retries here: the caller is building configuration for a push and must not stall.
      fetched = fetch(key, bound, 0);
    } catch (IOException e) {
      LOG.warn(
          "JWKS from {} could not be fetched, tokens are rejected until it is: {}",
          key.describe(),
          reason(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Entry fresh = new Entry(fetched, now, fetched != null ? now : null, now, bound);
    Entry winner = entries.putIfAbsent(key, fresh);
    if (winner != null) {
      return winner.keySet() != null ? winner.keySet() : FAIL_CLOSED_JWKS;
    }
    if (fetched == null) {
      // Try again in the background with retries; listeners hear when it succeeds.
      submit(this::fetchMissing);
      return FAIL_CLOSED_JWKS;
    }
    return fetched;
  }

  /** Runs one refresh of every cached key set now, as the background job does. */
  void refreshOnce() {
    // Listeners run outside the lock: one that pushes may ask for key sets again.
    if (refreshAll()) {
      notifyListeners();
    }
  }

  private synchronized boolean refreshAll() {
    Instant now = clock.instant();
    boolean failed = false;
    boolean changed = false;
    for (Map.Entry<Key, Entry> cached : List.copyOf(entries.entrySet())) {
      Key key = cached.getKey();
      Entry e = cached.getValue();
      if (!Duration.between(e.lastUsed(), now).minus(settings.evictAfter()).isNegative()
          || !Duration.between(e.freshSince(), now).minus(settings.evictAfter()).isNegative()) {
        LOG.info(
            "Dropping cached JWKS from {}: unused or not refreshed since {}",
            key.describe(),
            settings.evictAfter());
        entries.remove(key, e);
        // Proxies still hold the dropped set; the next push asks again and fails closed if need be.
        changed |= e.keySet() != null;
        continue;
      }
      try {
        String body = fetch(key, e.timeout(), settings.retries());
        boolean differs = e.keySet() == null || !JwksFetcher.sameKeys(e.keySet(), body);
        entries.computeIfPresent(
            key,
            (k, cur) ->
                new Entry(
                    differs ? body : cur.keySet(),
                    cur.created(),
                    now,
                    cur.lastUsed(),
                    cur.timeout()));
        if (differs) {
          LOG.info("JWKS from {} changed", key.describe());
          changed = true;
        }
      } catch (IOException ex) {
        failed = true;
        LOG.warn(
            "Refreshing JWKS from {} failed, keeping the {}: {}",
            key.describe(),
            e.keySet() != null ? "last fetched set" : "fail-closed set",
            reason(ex));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return changed;
      }
    }
    if (failed) {
      // A first failure retries soon; while failures go on, back off up to the cap.
      nextRefresh =
          lastRefreshFailed
              ? min(nextRefresh.multipliedBy(2), settings.maxRefreshIntervalOnFailure())
              : settings.refreshIntervalOnFailure();
    } else {
      nextRefresh = settings.refreshInterval();
    }
    lastRefreshFailed = failed;
    return changed;
  }

  /** The delay before the next background refresh. */
  synchronized Duration nextRefreshDelay() {
    return nextRefresh;
  }

  /** {@code close} stops the refresh job; a fetch in progress is interrupted. */
  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
    fetcher.close();
  }

  private void fetchMissing() {
    if (fetchAllMissing()) {
      notifyListeners();
    }
  }

  private synchronized boolean fetchAllMissing() {
    boolean changed = false;
    for (Map.Entry<Key, Entry> cached : List.copyOf(entries.entrySet())) {
      if (cached.getValue().keySet() != null) {
        continue;
      }
      Key key = cached.getKey();
      try {
        String body = fetch(key, cached.getValue().timeout(), settings.retries());
        Instant now = clock.instant();
        entries.computeIfPresent(
            key, (k, cur) -> new Entry(body, cur.created(), now, cur.lastUsed(), cur.timeout()));
        LOG.info("JWKS from {} fetched after an earlier failure", key.describe());
        changed = true;
      } catch (IOException e) {
        LOG.warn("JWKS from {} still cannot be fetched: {}", key.describe(), reason(e));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return changed;
      }
    }
    return changed;
  }

  private void refreshAndReschedule() {
    try {
      refreshOnce();
    } catch (RuntimeException e) {
      LOG.error("JWKS refresh failed", e);
    }
    schedule(nextRefreshDelay());
  }

  private void schedule(Duration delay) {
    if (closed) {
      return;
    }
    try {
      scheduler.schedule(this::refreshAndReschedule, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // Closed meanwhile.
    }
  }

  private void submit(Runnable task) {
    try {
      scheduler.execute(task);
    } catch (RejectedExecutionException e) {
      // Closed meanwhile.
    }
  }

  private void notifyListeners() {
    for (Runnable listener : listeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.error("JWKS change listener failed", e);
      }
    }
  }

  private static Key key(String issuer, String jwksUri) {
    if (jwksUri != null && !jwksUri.isEmpty()) {
      // The set at a URI is the same whoever names it, so rules share one fetch.
      return new Key("", jwksUri);
    }
    if (issuer != null && !issuer.isEmpty()) {
      return new Key(issuer, "");
    }
    return null;
  }

  private String fetch(Key key, Duration timeout, int retries)
      throws IOException, InterruptedException {
    IOException last = null;
    for (int attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        Thread.sleep(settings.retryInterval().toMillis());
      }
      try {
        return fetcher.fetch(key.issuer(), key.jwksUri(), timeout);
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  private static String reason(IOException e) {
    // Connection failures often carry no message; their type says what went wrong.
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
