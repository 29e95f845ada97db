package dev.isthmus.controlplane.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;

/**
 * {@code HeapAtScale} measures the heap after GC with 1,000 services × 10 endpoints and 1,000
 * connected simulated sidecars (each with all clusters, assignments, listeners and routes), as
 * {@link MemoryMXBean} reports it after {@code System.gc()}. Not a JMH benchmark: it measures
 * space, once. The clients keep only names and versions, so the figure is the control plane's
 * state (model, per-proxy resources, watches, gRPC streams) plus that small client state.
 */
public final class HeapAtScale {
  private HeapAtScale() {}

  static long usedAfterGc() throws InterruptedException {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return mem.getHeapMemoryUsage().getUsed();
  }

  static String mb(long bytes) {
    return String.format("%.1f MB", bytes / (1024.0 * 1024.0));
  }

  /** Runs the measurement: {@code [services] [clients]}, 1,000 each by default. */
  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    long start = usedAfterGc();
    try (XdsHarness h = new XdsHarness(services, 10, Duration.ofMillis(100))) {
      h.pushes.current();
      long model = usedAfterGc();
      long t0 = System.nanoTime();
      h.connect(clients, Duration.ofMinutes(15));
      long synced = System.nanoTime() - t0;
      long connected = usedAfterGc();
      System.out.printf(
          "HeapAtScale: %d services x 10 endpoints, %d connected sidecars (initial sync of all"
              + " in %.1f s)%n",
          services, clients, synced / 1e9);
      System.out.printf("  heap after GC, JVM before the mesh:        %s%n", mb(start));
      System.out.printf("  heap after GC, model built, no clients:   %s%n", mb(model));
      System.out.printf("  heap after GC, all clients connected:     %s%n", mb(connected));
      System.out.printf(
          "  of which per connected proxy:             %.1f KB%n",
          (connected - model) / 1024.0 / clients);
    }
  }
}
