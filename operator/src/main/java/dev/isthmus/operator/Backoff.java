package dev.isthmus.operator;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code Backoff} spaces out the retries of an IstioOperator whose apply keeps failing: the first
 * retry after {@code initial}, each next one twice as late, never later than {@code max}. A success
 * (or an uninstall) starts the sequence over. Counted per IstioOperator, in memory: a restarted
 * operator starts again from {@code initial}.
 */
final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();

  Backoff(Duration initial, Duration max) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max");
    }
    this.initial = initial;
    this.max = max;
  }

  /** Records one more consecutive failure of {@code key}; returns how long to wait before retry. */
  Duration failed(String key) {
    return delay(failures.merge(key, 1, (a, b) -> a == Integer.MAX_VALUE ? a : a + b));
  }

  /** Forgets the failures of {@code key}. */
  void succeeded(String key) {
    failures.remove(key);
  }

  /**
   * True when {@code e} means the API server could not be reached or was not serving (no response,
   * or 503/504 while it starts): a failure of the connection, not of what was sent.
   */
  static boolean unreachable(Throwable e) {
    if (e instanceof KubernetesClientException k && (k.getCode() == 503 || k.getCode() == 504)) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.io.IOException) {
        return true;
      }
    }
    return false;
  }

  /** The wait after the {@code n}-th consecutive failure (n ≥ 1). */
  Duration delay(int n) {
    Duration d = initial;
    for (int i = 1; i < n && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }
}
