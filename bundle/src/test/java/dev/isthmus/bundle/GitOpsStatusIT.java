package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.IsthmusOperator;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What Argo CD's IstioOperator health check and Flux's kstatus make of the statuses the operator
 * really writes, phase by phase, against a real API server: not yet seen, installing, healthy,
 * updating, error, deleting.
 */
@WithKubeApiServer
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GitOpsStatusIT {
  static final String NS = "istio-system";
  static final String NAME = "gitops";
  static KubernetesClient client;
  static IsthmusOperator operator;

  @BeforeAll
  static void setUp(KubernetesClient c) {
    client = c;
    Rollouts.namespace(client, NS);
  }

  @AfterAll
  static void tearDown() {
    if (operator == null) {
      operator = IsthmusOperator.start(client, IsthmusOperator.Config.defaults());
    }
    iop().delete();
    await().atMost(Rollouts.TIMEOUT).until(() -> iop().get() == null);
    operator.close();
  }

  static Resource<IstioOperator> iop() {
    return client.resources(IstioOperator.class).inNamespace(NS).withName(NAME);
  }

  static JsonNode live() {
    return Serialization.jsonMapper().valueToTree(iop().get());
  }

  static GitOpsHealth.Result argo(JsonNode o) {
    return GitOpsHealth.argoCd(o);
  }

  static GitOpsHealth.Result flux(JsonNode o) {
    return GitOpsHealth.kstatus(o);
  }

  @Test
  @Order(1)
  void beforeTheOperatorWritesAStatus() {
    IstioOperator iop = BundleResources.defaultIstioOperator();
    iop.getMetadata().setName(NAME);
    client.resources(IstioOperator.class).inNamespace(NS).resource(iop).create();
    JsonNode o = live();
    assertThat(argo(o))
        .isEqualTo(new GitOpsHealth.Result("Progressing", "Waiting for Istio Control Plane"));
    // kstatus has nothing to go on (no observedGeneration, no conditions): it calls the object
    // Current. Flux users
    // should not rely on health checks during the first seconds after creating an IstioOperator.
    assertThat(flux(o).status()).isEqualTo("Current");
  }

  @Test
  @Order(2)
  void installing() {
    operator = IsthmusOperator.start(client, IsthmusOperator.Config.defaults());
    await().atMost(Rollouts.TIMEOUT).until(() -> status() == InstallStatus.RECONCILING);
    JsonNode o = live();
    assertThat(argo(o).status()).isEqualTo("Progressing");
    assertThat(flux(o).status()).isEqualTo("InProgress");
    assertThat(flux(o).message()).contains("Deployment");
  }

  @Test
  @Order(3)
  void healthy() {
    Rollouts.completeRollouts(client, Translator.render(iop().get()));
    await().atMost(Rollouts.TIMEOUT).until(() -> status() == InstallStatus.HEALTHY);
    JsonNode o = live();
    assertThat(argo(o)).isEqualTo(new GitOpsHealth.Result("Healthy", "Component is healthy."));
    assertThat(flux(o)).isEqualTo(new GitOpsHealth.Result("Current", "Resource is Ready"));
  }

  @Test
  @Order(4)
  void updating() {
    IstioOperator edited =
        iop()
            .edit(
                i -> {
                  i.getSpec().tag = new IntOrString("1.28.1");
                  return i;
                });
    JsonNode justSynced = Serialization.jsonMapper().valueToTree(edited);
    // right after a sync the status still describes the previous generation: kstatus sees that,
    // Argo CD's rule does
    // not read observedGeneration and keeps answering Healthy until the operator writes UPDATING
    assertThat(flux(justSynced).status()).isEqualTo("InProgress");
    assertThat(flux(justSynced).message()).contains("latest observed generation");
    assertThat(argo(justSynced).status()).isEqualTo("Healthy");

    await().atMost(Rollouts.TIMEOUT).until(() -> status() == InstallStatus.UPDATING);
    JsonNode o = live();
    assertThat(o.at("/status/observedGeneration").asLong())
        .isEqualTo(o.at("/metadata/generation").asLong());
    assertThat(argo(o))
        .isEqualTo(
            new GitOpsHealth.Result(
                "Progressing", "Component is being updated to a different version."));
    assertThat(flux(o).status()).isEqualTo("InProgress");

    Rollouts.completeRollouts(client, Translator.render(iop().get()));
    await().atMost(Rollouts.TIMEOUT).until(() -> status() == InstallStatus.HEALTHY);
    assertThat(argo(live()).status()).isEqualTo("Healthy");
    assertThat(flux(live()).status()).isEqualTo("Current");
  }

  @Test
  @Order(5)
  void error() {
    iop()
        .edit(
            i -> {
              i.getSpec().revision = "Not_A_Label!";
              return i;
            });
    await().atMost(Rollouts.TIMEOUT).until(() -> status() == InstallStatus.ERROR);
    JsonNode o = live();
    assertThat(o.at("/status/message").asText()).contains("spec.revision");
    assertThat(argo(o))
        .isEqualTo(new GitOpsHealth.Result("Degraded", "Component is in an error state."));
    // Flux must not report a rejected spec as Current: with Ready still True from the last good
    // generation and
    // observedGeneration current, kstatus needs Stalled=True (→ Failed) or Ready=False (→
    // InProgress) to see the error
    assertThat(flux(o).status())
        .as("kstatus of a rejected spec, status %s", o.at("/status"))
        .isIn("Failed", "InProgress");

    iop()
        .edit(
            i -> {
              i.getSpec().revision = null;
              return i;
            });
    await().atMost(Rollouts.TIMEOUT).until(() -> status() == InstallStatus.HEALTHY);
  }

  @Test
  @Order(6)
  void deleting() {
    // stopped operator: the finalizer holds the object in its terminating state long enough to look
    // at it
    operator.close();
    operator = null;
    iop().delete();
    await()
        .atMost(Rollouts.TIMEOUT)
        .until(() -> iop().get().getMetadata().getDeletionTimestamp() != null);
    JsonNode o = live();
    assertThat(argo(o)).isEqualTo(new GitOpsHealth.Result("Progressing", "Pending deletion"));
    assertThat(flux(o).status()).isEqualTo("Terminating");
    operator = IsthmusOperator.start(client, IsthmusOperator.Config.defaults());
    await().atMost(Rollouts.TIMEOUT).until(() -> iop().get() == null);
  }

  static InstallStatus status() {
    IstioOperator i = iop().get();
    return i == null || i.getStatus() == null ? null : i.getStatus().status;
  }
}
