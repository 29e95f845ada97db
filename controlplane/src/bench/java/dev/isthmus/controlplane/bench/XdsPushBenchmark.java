package dev.isthmus.controlplane.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Push latency to N simulated Envoys (State-of-the-World ADS over real gRPC on loopback), 1,000
 * services × 10 endpoints, Istio's 100 ms debounce included:
 *
 * <ul>
 *   <li>{@code fullPush}: a VirtualService on a service every proxy sees changes its route timeout;
 *       time until every client has received and ACKed the new RDS version (every proxy's
 *       resources are recomputed, only RDS differs and is sent);
 *   <li>{@code edsOnlyPush}: an endpoint leaves or rejoins that service's EndpointSlice; time until
 *       every client has received and ACKed the new EDS version.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class XdsPushBenchmark {
  @Param({"100", "1000"})
  public int clients;

  @Param({"1000"})
  public int services;

  XdsHarness harness;
  boolean flip;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    harness = new XdsHarness(services, 10, Duration.ofMillis(100));
    harness.connect(clients, Duration.ofMinutes(10));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    harness.close();
  }

  @Benchmark
  public long fullPush() throws Exception {
    flip = !flip;
    return harness.converge(
        AdsClient.RDS, BenchMesh.timeout(flip ? "3s" : "4s"), Duration.ofMinutes(5));
  }

  @Benchmark
  public long edsOnlyPush() throws Exception {
    flip = !flip;
    return harness.converge(
        AdsClient.EDS, BenchMesh.slice(0, flip ? 9 : 10), Duration.ofMinutes(5));
  }
}
