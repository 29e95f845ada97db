package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@code manifest generate} prints as warnings reaches the IstioOperator's events, once per
 * generation.
 */
@WithKubeApiServer
class RenderWarningsIT {
  static final String NS = "isthmus-warnings";

  @Test
  void renderWarningsBecomeOneWarningEventPerGeneration(KubernetesClient client) {
    OperatorFixture.namespace(client, NS);
    try (IsthmusOperator operator = IsthmusOperator.start(client, OperatorFixture.watching(NS))) {
      IstioOperator iop = OperatorFixture.baseOnly("compat", NS);
      iop.getSpec().compatibilityVersion = "1.25";
      var res = client.resources(IstioOperator.class).inNamespace(NS).resource(iop);
      res.create();
      OperatorFixture.awaitStatus(res::get, InstallStatus.HEALTHY);
      await().atMost(TIMEOUT).until(() -> !warnings(client).isEmpty());
      List<Event> events = warnings(client);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).getType()).isEqualTo("Warning");
      assertThat(events.get(0).getMessage()).contains("spec.compatibilityVersion: \"1.25\"");
      OperatorFixture.deleteAndAwait(res);
    }
  }

  private static List<Event> warnings(KubernetesClient client) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> "RenderWarning".equals(e.getReason()))
        .toList();
  }
}
