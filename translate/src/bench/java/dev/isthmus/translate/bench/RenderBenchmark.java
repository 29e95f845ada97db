package dev.isthmus.translate.bench;

import dev.isthmus.translate.Translator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Time to merge, validate, translate, render and patch a profile, and to serialise it. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RenderBenchmark {
  @Param({"default", "demo"})
  public String profile;

  @Benchmark
  public Object render() {
    return Translator.render(List.of(), List.of("profile=" + profile), null, false);
  }

  @Benchmark
  public String renderToYaml() {
    return Translator.render(List.of(), List.of("profile=" + profile), null, false).toYaml();
  }
}
