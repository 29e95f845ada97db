package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An update that takes a running gateway away and replaces istiod's pods is announced, before it is
 * applied, by a Warning Event naming those changes with the change plan's summary. Rollouts are
 * simulated ({@link OperatorFixture#simulateReady}): there is no kubelet.
 */
@WithKubeApiServer
class RiskyChangeIT {
  static final String NS = "isthmus-risky";
  static final String SPEC =
      """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata:
        name: risky
        namespace: isthmus-risky
      spec:
        values:
          global:
            istioNamespace: isthmus-risky
          pilot:
            autoscaleEnabled: false
      """;

  static final String WITHOUT_GATEWAY =
      SPEC
          + """
        components:
          ingressGateways:
            - name: istio-ingressgateway
              enabled: false
          pilot:
            k8s:
              podAnnotations:
                edition: second
      """;

  static KubernetesClient client;
  static IsthmusOperator operator;

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    OperatorFixture.namespace(client, NS);
    operator = IsthmusOperator.start(client, OperatorFixture.watching(NS));
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      OperatorFixture.deleteAndAwait(resource());
      operator.close();
    }
  }

  static Resource<IstioOperator> resource() {
    return client.resources(IstioOperator.class).inNamespace(NS).withName("risky");
  }

  static List<String> events() {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> RiskyChange.REASON.equals(e.getReason()))
        .map(e -> e.getMessage())
        .toList();
  }

  @Test
  void anUpdateThatRemovesAGatewayAndRestartsIstiodIsAnnounced() {
    client
        .resources(IstioOperator.class)
        .inNamespace(NS)
        .resource(OperatorFixture.iop(SPEC))
        .create();
    var installed = OperatorFixture.rendered(resource().get());
    OperatorFixture.awaitApplied(client, installed);
    OperatorFixture.simulateReady(client, installed);
    OperatorFixture.awaitStatus(resource()::get, InstallStatus.HEALTHY);
    assertThat(events()).as("a first install takes nothing away").isEmpty();

    IstioOperator next = OperatorFixture.iop(WITHOUT_GATEWAY);
    resource()
        .edit(
            i -> {
              i.setSpec(next.getSpec());
              return i;
            });
    await().atMost(TIMEOUT).until(() -> !events().isEmpty());
    assertThat(events().get(0))
        .contains("to prune.")
        .contains("prune Deployment " + NS + "/istio-ingressgateway")
        .contains("prune Service " + NS + "/istio-ingressgateway")
        .contains("update Deployment " + NS + "/istiod replaces its pods");
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client.apps().deployments().inNamespace(NS).withName("istio-ingressgateway").get()
                    == null);
  }
}
