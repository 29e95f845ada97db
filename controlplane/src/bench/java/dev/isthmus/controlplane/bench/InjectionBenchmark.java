package dev.isthmus.controlplane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isthmus.controlplane.webhooks.inject.InjectionConfig;
import dev.isthmus.controlplane.webhooks.inject.InjectionResult;
import dev.isthmus.controlplane.webhooks.inject.InjectorFixtures;
import dev.isthmus.controlplane.webhooks.inject.SidecarInjector;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of one admission-time injection (template rendering, YAML parse, merge, post-processing,
 * JSON Patch) with the installer's default-profile injector ConfigMap, and of parsing that
 * ConfigMap's templates (done once per ConfigMap change).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class InjectionBenchmark {
  Map<String, String> data;
  InjectionConfig config;
  SidecarInjector injector;
  JsonNode pod;

  @Setup
  public void setup() throws Exception {
    data = InjectorFixtures.rendered(List.of());
    config = InjectionConfig.parse(data, data.get("mesh"));
    injector =
        new SidecarInjector(
            () -> config, "istio-system", ns -> Map.of("istio-injection", "enabled"));
    pod =
        new ObjectMapper()
            .readTree(
                """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-5d8f7c9b4-x2k7p",
                 "labels":{"app":"web","version":"v1","pod-template-hash":"5d8f7c9b4"},
                 "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",
                   "name":"web-5d8f7c9b4","uid":"u","controller":true}]},
                 "spec":{"containers":[{"name":"web","image":"nginx",
                   "ports":[{"containerPort":8080,"name":"http"}],
                   "readinessProbe":{"httpGet":{"path":"/ready","port":8080}}}]}}
                """);
  }

  @Benchmark
  public InjectionResult injectSidecar() {
    return injector.inject(pod, "default");
  }

  @Benchmark
  public InjectionConfig parseConfigMap() {
    return InjectionConfig.parse(data, data.get("mesh"));
  }
}
