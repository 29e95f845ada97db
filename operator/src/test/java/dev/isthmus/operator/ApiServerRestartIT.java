package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Chaos: kube-apiserver is restarted (etcd keeps the data, as when a control-plane node restarts
 * its API server) in the middle of the operator's apply, and again while it is idle. The operator
 * converges with nothing lost or duplicated, and its watches come back so that later edits are
 * still reconciled. There is no kubelet: rollouts are marked complete by the test.
 */
@WithKubeApiServer
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiServerRestartIT {
  static final String NS = "isthmus-chaos-api";
  static final String NAME = "api-restart";
  static final String SPEC =
      """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata:
        name: api-restart
        namespace: isthmus-chaos-api
      spec:
        profile: default
        values:
          global:
            istioNamespace: isthmus-chaos-api
          pilot:
            autoscaleEnabled: false
          gateways:
            istio-ingressgateway:
              autoscaleEnabled: false
      """;

  /** Two regular retries and an apply, with room for a busy machine. */
  static final Duration RESUMED_WITHIN = Duration.ofSeconds(30);

  static KubernetesClient client;
  static IsthmusOperator operator;
  static final OperatorFixture.Counter counter = new OperatorFixture.Counter();

  /** The operator's own client: its requests pass {@link #CHAOS}. */
  static KubernetesClient operatorClient;

  /**
   * Stops kube-apiserver just before the operator's N-th applying (not dry-run) PATCH goes out, so
   * that the apply is cut in the middle whatever the machine's speed.
   */
  static final class Chaos implements Interceptor {
    private final AtomicInteger applies = new AtomicInteger();
    private volatile int stopAt = -1;
    private volatile CompletableFuture<Void> restart;

    void stopAtApply(int n) {
      applies.set(0);
      stopAt = n;
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
      String query = request.uri().getRawQuery();
      if (!request.method().equals("PATCH") || (query != null && query.contains("dryRun"))) {
        return;
      }
      if (applies.incrementAndGet() != stopAt) {
        return;
      }
      stopAt = -1;
      restart =
          CompletableFuture.runAsync(
              () -> TestKubeApiServer.get().restartApiServer(Duration.ofSeconds(3)));
      // this request goes out only once the server is gone
      await().atMost(TIMEOUT).until(() -> TestKubeApiServer.get().down());
    }
  }

  static final Chaos CHAOS = new Chaos();

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    OperatorFixture.namespace(client, NS);
    operatorClient =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(TestKubeApiServer.get().kubeConfigYaml()))
            .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("chaos", CHAOS))
            .build();
    operator = startOperator();
  }

  static IsthmusOperator startOperator() {
    return IsthmusOperator.start(
        operatorClient, OperatorFixture.watching(NS).withListeners(java.util.List.of(counter)));
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      OperatorFixture.deleteAndAwait(resource());
      operator.close();
    }
    operatorClient.close();
  }

  static Resource<IstioOperator> resource() {
    return client.resources(IstioOperator.class).inNamespace(NS).withName(NAME);
  }

  @Test
  @Order(1)
  void anApiServerRestartInTheMiddleOfAnApplyConvergesWithNothingLostOrDuplicated() {
    resource().delete();
    client
        .resources(IstioOperator.class)
        .inNamespace(NS)
        .resource(OperatorFixture.iop(SPEC))
        .create();
    RenderResult expected = OperatorFixture.rendered(resource().get());
    int half = expected.objects().size() / 2;
    CHAOS.stopAtApply(half);
    await().atMost(TIMEOUT).until(() -> CHAOS.restart != null);
    CHAOS.restart.join();
    System.out.println(
        "[chaos] kube-apiserver stopped before apply request "
            + half
            + " of "
            + expected.objects().size());

    // The failures during the outage say nothing about this installation: the apply resumes at
    // the next regular retry (5 s), not after a backoff that doubled through the outage (which
    // took close to a minute here).
    await()
        .atMost(RESUMED_WITHIN)
        .untilAsserted(
            () ->
                assertThat(OperatorFixture.versions(client, expected))
                    .doesNotContainValue("<missing>"));
    OperatorFixture.simulateReady(client, expected);
    OperatorFixture.awaitStatus(ApiServerRestartIT.resource()::get, InstallStatus.HEALTHY);
    assertOwnedExactly(expected);
    IstioOperator iop = resource().get();
    assertThat(iop.getMetadata().getFinalizers()).containsExactly(OwnerLabels.FINALIZER);
    assertThat(iop.getStatus().observedGeneration).isEqualTo(iop.getMetadata().getGeneration());
    assertThat(iop.getStatus().conditions)
        .extracting(c -> c.getType())
        .as("one condition of each type")
        .doesNotHaveDuplicates();
    assertConverged(expected);
  }

  @Test
  @Order(2)
  void watchesComeBackAfterAnIdleRestartAndAnEditIsReconciled() {
    RenderResult before = OperatorFixture.rendered(resource().get());
    TestKubeApiServer.get().restartApiServer(Duration.ofSeconds(2));
    // a drifted object is put back: the owned-object informers watch again
    client.serviceAccounts().inNamespace(NS).withName("istio-reader-service-account").delete();
    OperatorFixture.awaitApplied(client, before);

    IstioOperator next =
        OperatorFixture.iop(
            SPEC
                + """
                  components:
                    ingressGateways:
                      - name: istio-ingressgateway
                        enabled: false
                """);
    resource()
        .edit(
            i -> {
              i.setSpec(next.getSpec());
              return i;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client.apps().deployments().inNamespace(NS).withName("istio-ingressgateway").get()
                    == null);
    RenderResult after = OperatorFixture.rendered(resource().get());
    OperatorFixture.awaitStatus(ApiServerRestartIT.resource()::get, InstallStatus.HEALTHY);
    assertOwnedExactly(after);
  }

  private static void assertOwnedExactly(RenderResult expected) {
    OperatorFixture.assertOwnedExactly(client, resource().get(), NS, expected);
  }

  /** Another reconcile writes nothing: the apply reached its fixed point. */
  private static void assertConverged(RenderResult expected) {
    Map<String, String> settled = OperatorFixture.versions(client, expected);
    int seen = counter.applied.get();
    operator.close();
    operator = startOperator();
    await().atMost(TIMEOUT).until(() -> counter.applied.get() > seen);
    assertThat(OperatorFixture.versions(client, expected)).isEqualTo(settled);
  }
}
