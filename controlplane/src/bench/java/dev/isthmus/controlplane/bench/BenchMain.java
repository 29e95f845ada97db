package dev.isthmus.controlplane.bench;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * {@code BenchMain} is what the {@code bench} profile runs: the JMH benchmarks of this package
 * (JMH command-line arguments pass through), then {@link HeapAtScale}, which measures space rather
 * than time. {@code -Dbench.heap=false} skips the heap measurement, {@code -Dbench.jmh=false} the
 * JMH run.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (Boolean.parseBoolean(System.getProperty("bench.jmh", "true"))) {
      new Runner(new CommandLineOptions(args)).run();
    }
    if (Boolean.parseBoolean(System.getProperty("bench.heap", "true"))) {
      HeapAtScale.main(new String[0]);
    }
  }
}
