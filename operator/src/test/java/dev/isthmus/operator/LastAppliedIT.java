package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.KubeObjects;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The configuration in force survives the operator: an operator that starts (after a restart or a
 * leader change) while an invalid spec is in place still corrects drift from the last applied spec,
 * recorded beside the IstioOperator, and reports the spec as invalid.
 */
@WithKubeApiServer
class LastAppliedIT {
  static final String NS = "istio-system";

  @Test
  void aNewOperatorCorrectsDriftFromTheLastAppliedSpecWhileTheSpecIsInvalid(
      KubernetesClient client) {
    OperatorFixture.namespace(client, NS);
    IstioOperator iop = OperatorFixture.baseOnly("survivor", NS);
    var resource = client.resources(IstioOperator.class).inNamespace(NS).withName("survivor");
    List<ObjectNode> objects;
    try (IsthmusOperator first = IsthmusOperator.start(client, IsthmusOperator.Config.defaults())) {
      client.resource(iop).create();
      OperatorFixture.awaitStatus(resource::get, InstallStatus.HEALTHY);
      objects = OperatorFixture.rendered(resource.get()).objects();
      assertThat(
              client.configMaps().inNamespace(NS).withName("survivor" + LastApplied.SUFFIX).get())
          .as("the applied spec is recorded beside the IstioOperator")
          .isNotNull();
    }

    // while no operator runs: an invalid edit, and drift in what was installed
    resource.edit(
        i -> {
          i.getSpec().revision = "Not_A_Label!";
          return i;
        });
    ObjectNode victim =
        objects.stream()
            .filter(o -> o.path("kind").asText().equals("ServiceAccount"))
            .findFirst()
            .orElseGet(
                () ->
                    objects.stream()
                        .filter(o -> !o.path("kind").asText().equals("CustomResourceDefinition"))
                        .findFirst()
                        .orElseThrow());
    String name = victim.path("metadata").path("name").asText();
    var victimRes = KubeObjects.resource(client, victim);
    victimRes.delete();
    await().atMost(TIMEOUT).until(() -> victimRes.get() == null);

    try (IsthmusOperator second =
        IsthmusOperator.start(client, IsthmusOperator.Config.defaults())) {
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  resource.get().getStatus().status == InstallStatus.ERROR
                      && resource.get().getStatus().message.contains("spec.revision"));
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(victimRes.get())
                      .as(
                          victim.path("kind").asText()
                              + " "
                              + name
                              + " restored from the last applied spec")
                      .isNotNull());
    }
  }
}
