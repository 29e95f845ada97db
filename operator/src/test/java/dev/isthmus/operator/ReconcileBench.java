package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark (not a test): against the real API server, the time from creating a default-profile
 * IstioOperator to all of its objects applied, and the cost of a converged (no-op) reconcile, read
 * from the operator's reconcile timer while the controller re-reconciles every second. Run: {@code
 * ./mvnw -B -Pbench -pl operator verify -DskipTests}.
 */
public final class ReconcileBench {
  private ReconcileBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    KubernetesClient client = TestKubeApiServer.get().client();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    IsthmusOperator.Config config =
        new IsthmusOperator.Config(
            java.util.Set.of(),
            java.util.Optional.empty(),
            IstioOperatorReconciler.OperatorSettings.defaults(),
            Duration.ofSeconds(1),
            dev.isthmus.translate.Translator::render,
            List.of(),
            registry);
    try (IsthmusOperator operator = IsthmusOperator.start(client, config)) {
      for (int round = 0; round < rounds; round++) {
        String ns = "bench-" + round;
        OperatorFixture.namespace(client, ns);
        IstioOperator iop =
            OperatorFixture.iop(
                """
                apiVersion: install.istio.io/v1alpha1
                kind: IstioOperator
                metadata: {name: bench, namespace: %s}
                spec:
                  profile: default
                  namespace: %s
                  values: {global: {istioNamespace: %s}, pilot: {autoscaleEnabled: false}}
                """
                    .formatted(ns, ns, ns));
        long start = System.nanoTime();
        IstioOperator created =
            client.resources(IstioOperator.class).inNamespace(ns).resource(iop).create();
        RenderResult expected = OperatorFixture.rendered(created);
        while (OperatorFixture.versions(client, expected).containsValue("<missing>")) {
          Thread.sleep(20);
        }
        System.out.printf(
            "create → %d objects applied: %.0f ms%n",
            expected.objects().size(), (System.nanoTime() - start) / 1e6);
        OperatorFixture.simulateReady(client, expected);
        Thread.sleep(5_000);
        Timer noop =
            registry.find("isthmus_reconcile_duration").tag("outcome", "unchanged").timer();
        long before = noop == null ? 0 : noop.count();
        double totalBefore = noop == null ? 0 : noop.totalTime(TimeUnit.MILLISECONDS);
        Thread.sleep(10_000);
        noop = registry.find("isthmus_reconcile_duration").tag("outcome", "unchanged").timer();
        long n = noop.count() - before;
        double ms = noop.totalTime(TimeUnit.MILLISECONDS) - totalBefore;
        System.out.printf("no-op reconcile: %d reconciles, mean %.1f ms%n", n, n == 0 ? 0 : ms / n);
        client.resources(IstioOperator.class).inNamespace(ns).withName("bench").delete();
        while (client.resources(IstioOperator.class).inNamespace(ns).withName("bench").get()
            != null) {
          Thread.sleep(50);
        }
      }
    }
    System.exit(0);
  }
}
