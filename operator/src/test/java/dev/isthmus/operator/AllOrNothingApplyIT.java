package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorStatus;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * An update is applied whole or not at all: every rendered object is dry-run first, and an object
 * the API server refuses leaves every previously applied object as it was — including the Base
 * objects, which come first in the apply order and would otherwise have been rewritten.
 */
@WithKubeApiServer
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AllOrNothingApplyIT {
  static final String NS = "isthmus-dryrun";
  static final String NAME = "all-or-nothing";
  static final String SPEC =
      """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata:
        name: all-or-nothing
        namespace: isthmus-dryrun
      spec:
        profile: minimal
        values:
          global:
            istioNamespace: isthmus-dryrun
          pilot:
            autoscaleEnabled: false
      """;

  /** A valid change to a Base object, applied first in component order. */
  static final String BASE_CHANGE =
      """
        components:
          base:
            k8s:
              overlays:
                - kind: ServiceAccount
                  name: istio-reader-service-account
                  patches:
                    - path: metadata.labels.edition
                      value: second
      """;

  /** A port number only the API server's validation refuses (containerPort must be < 65536). */
  static final String REFUSED_PILOT =
      """
          pilot:
            k8s:
              overlays:
                - kind: Deployment
                  name: istiod
                  patches:
                    - path: spec.template.spec.containers.[name:discovery].ports.[containerPort:15010].containerPort
                      value: 70000
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
    return client.resources(IstioOperator.class).inNamespace(NS).withName(NAME);
  }

  @Test
  @Order(1)
  void aValidRenderIsApplied() {
    client
        .resources(IstioOperator.class)
        .inNamespace(NS)
        .resource(OperatorFixture.iop(SPEC))
        .create();
    RenderResult expected = OperatorFixture.rendered(resource().get());
    OperatorFixture.awaitApplied(client, expected);
    OperatorFixture.simulateReady(client, expected);
    OperatorFixture.awaitStatus(AllOrNothingApplyIT.resource()::get, InstallStatus.HEALTHY);
  }

  @Test
  @Order(2)
  void aRefusedPilotDeploymentLeavesEveryObjectAsItWas() {
    RenderResult installed = OperatorFixture.rendered(resource().get());
    Map<String, String> before = OperatorFixture.versions(client, installed);
    assertThat(before).doesNotContainValue("<missing>");

    update(SPEC + BASE_CHANGE + REFUSED_PILOT);
    RenderResult refused = OperatorFixture.rendered(resource().get());
    assertThat(component(refused, "Base"))
        .as("the update changes a Base object, which is applied before Pilot")
        .isNotEqualTo(component(installed, "Base"));

    OperatorFixture.awaitStatus(AllOrNothingApplyIT.resource()::get, InstallStatus.ERROR);
    assertThat(OperatorFixture.versions(client, installed)).isEqualTo(before);
    assertThat(readerLabels()).doesNotContainKey("edition");
    IstioOperatorStatus status = resource().get().getStatus();
    assertThat(status.message)
        .contains("Deployment " + NS + "/istiod")
        .contains("70000")
        .contains("nothing was applied");
    assertThat(status.conditions)
        .anyMatch(
            c ->
                c.getType().equals(IstioOperatorStatus.CONDITION_RECONCILED)
                    && c.getStatus().equals("False")
                    && c.getReason().equals("ApplyRefused"));
    assertThat(status.observedGeneration).isEqualTo(resource().get().getMetadata().getGeneration());
    // across the retries that follow the refusal, too
    await()
        .during(Duration.ofSeconds(8))
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> assertThat(OperatorFixture.versions(client, installed)).isEqualTo(before));
  }

  @Test
  @Order(3)
  void theSameBaseChangeWithoutTheRefusedObjectIsApplied() {
    update(SPEC + BASE_CHANGE);
    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(readerLabels()).containsEntry("edition", "second"));
    OperatorFixture.awaitStatus(AllOrNothingApplyIT.resource()::get, InstallStatus.HEALTHY);
  }

  private static void update(String yaml) {
    IstioOperator next = OperatorFixture.iop(yaml);
    resource()
        .edit(
            i -> {
              i.setSpec(next.getSpec());
              return i;
            });
  }

  private static Object component(RenderResult r, String name) {
    return r.components().stream()
        .filter(c -> c.component().equals(name))
        .map(ComponentManifest::objects)
        .toList();
  }

  private static Map<String, String> readerLabels() {
    return client
        .serviceAccounts()
        .inNamespace(NS)
        .withName("istio-reader-service-account")
        .get()
        .getMetadata()
        .getLabels();
  }
}
