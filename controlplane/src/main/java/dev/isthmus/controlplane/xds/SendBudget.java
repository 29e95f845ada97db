package dev.isthmus.controlplane.xds;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code SendBudget} bounds the bytes of xDS responses handed to the transport and not yet taken by
 * their clients, over all streams of a server: a fleet connecting at once would otherwise have
 * every proxy's first response (a megabyte or two at a thousand Services) serialized into direct
 * memory together. A stream whose response does not fit waits, in order, until another stream's
 * bytes drain; one response is always let through when nothing is in flight, so a response larger
 * than the budget still goes. The default, 256 MiB, is {@code -Disthmus.xds.sendBudgetMiB}.
 */
final class SendBudget {
  static final long DEFAULT = Long.getLong("isthmus.xds.sendBudgetMiB", 256) * 1024 * 1024;

  private final long limit;
  private long inFlight;
  private final Set<Runnable> waiting = new LinkedHashSet<>();

  SendBudget(long limit) {
    this.limit = limit;
  }

  /** Takes {@code bytes} when they fit (or nothing is in flight); false otherwise. */
  synchronized boolean tryAcquire(long bytes) {
    if (inFlight > 0 && inFlight + bytes > limit) {
      return false;
    }
    inFlight += bytes;
    return true;
  }

  /** Runs {@code retry} once after the next release (a stream waiting to send). */
  synchronized void await(Runnable retry) {
    waiting.add(retry);
  }

  /**
   * Gives {@code bytes} back; returns the waiting retries, which the caller runs holding no lock.
   */
  List<Runnable> release(long bytes) {
    if (bytes <= 0) {
      return List.of();
    }
    synchronized (this) {
      inFlight -= bytes;
      if (waiting.isEmpty()) {
        return List.of();
      }
      List<Runnable> wake = new ArrayList<>(waiting);
      waiting.clear();
      return wake;
    }
  }

  /** Bytes in flight (for tests). */
  synchronized long inFlight() {
    return inFlight;
  }
}
