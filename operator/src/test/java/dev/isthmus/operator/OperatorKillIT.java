package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Chaos: the shipped operator jar runs as its own process, with leader election as the Deployment
 * runs it, and is killed with SIGKILL in the middle of its first apply. A new replica (another pod
 * name) takes the Lease over once it expires and converges: every object once, nothing lost, a
 * later reconcile writes nothing. There is no kubelet: rollouts are marked complete by the test.
 */
@WithKubeApiServer
class OperatorKillIT {
  static final String NS = "isthmus-chaos-kill";
  static final String SPEC =
      """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata:
        name: killed
        namespace: isthmus-chaos-kill
      spec:
        profile: default
        values:
          global:
            istioNamespace: isthmus-chaos-kill
          pilot:
            autoscaleEnabled: false
          gateways:
            istio-ingressgateway:
              autoscaleEnabled: false
      """;

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killAll() {
    processes.forEach(Process::destroyForcibly);
  }

  @Test
  void anOperatorKilledInTheMiddleOfAnApplyIsReplacedAndConverges(KubernetesClient client)
      throws Exception {
    OperatorFixture.namespace(client, NS);
    Path kubeconfig = Files.createTempFile("isthmus-kill", ".kubeconfig");
    Files.writeString(kubeconfig, TestKubeApiServer.get().kubeConfigYaml());
    Resource<IstioOperator> iop =
        client.resources(IstioOperator.class).inNamespace(NS).withName("killed");

    Process first = operator(kubeconfig, "isthmus-operator-first");
    await().atMost(TIMEOUT).until(() -> "isthmus-operator-first".equals(holder(client)));
    client
        .resources(IstioOperator.class)
        .inNamespace(NS)
        .resource(OperatorFixture.iop(SPEC))
        .create();
    RenderResult expected = OperatorFixture.rendered(iop.get());
    var istiod = client.apps().deployments().inNamespace(NS).withName("istiod");
    // istiod opens Pilot, in the middle of the apply order (Base before, the gateway after)
    await().pollInterval(Duration.ofMillis(5)).atMost(TIMEOUT).until(() -> istiod.get() != null);
    first.destroyForcibly();
    assertThat(first.waitFor()).as("killed by SIGKILL").isEqualTo(137);
    Map<String, String> atKill = OperatorFixture.versions(client, expected);
    System.out.println(
        "[chaos] objects present when the operator was killed: "
            + atKill.values().stream().filter(v -> !v.equals("<missing>")).count()
            + "/"
            + atKill.size());
    assertThat(holder(client))
        .as("a killed leader does not release its Lease")
        .isEqualTo("isthmus-operator-first");

    operator(kubeconfig, "isthmus-operator-second");
    await().atMost(TIMEOUT).until(() -> "isthmus-operator-second".equals(holder(client)));
    OperatorFixture.awaitApplied(client, expected);
    OperatorFixture.simulateReady(client, expected);
    OperatorFixture.awaitStatus(iop::get, InstallStatus.HEALTHY);

    IstioOperator installed = iop.get();
    assertThat(installed.getMetadata().getFinalizers()).containsExactly(OwnerLabels.FINALIZER);
    assertThat(installed.getStatus().observedGeneration)
        .isEqualTo(installed.getMetadata().getGeneration());
    OperatorFixture.assertOwnedExactly(client, installed, NS, expected);
    // converged: the periodic re-checks of a healthy installation write nothing
    Map<String, String> settled = OperatorFixture.versions(client, expected);
    await()
        .during(Duration.ofSeconds(8))
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> assertThat(OperatorFixture.versions(client, expected)).isEqualTo(settled));

    OperatorFixture.deleteAndAwait(iop);
  }

  private static String holder(KubernetesClient client) {
    var lease = client.leases().inNamespace(NS).withName(IsthmusOperator.LEASE_NAME).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** Starts the shipped operator jar as pod {@code podName} would run it. */
  private Process operator(Path kubeconfig, String podName) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                runnerJar().toString(),
                "operator",
                "--namespaces",
                NS,
                "--leader-election-namespace",
                NS,
                "--http-port",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.to(
                    File.createTempFile("isthmus-operator-" + podName, ".log")));
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().put("HOSTNAME", podName);
    pb.environment().put("POD_NAME", podName);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private static Path runnerJar() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("the operator jar is not built"));
    }
  }
}
