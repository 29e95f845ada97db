package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.KubeObjects;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With {@code --crds=external} (how the OLM bundle runs the operator) the operator never writes a
 * CRD: it waits for the CRDs to be installed by someone else, reporting which one is missing, and
 * installs the rest once they are there.
 */
@WithKubeApiServer
class ExternalCrdsIT {
  static final String NS = "istio-external-crds";
  static final String MISSING = "widgets.external.isthmus.dev";

  @Test
  void reportsAMissingCrdAndNeverWritesCrds(KubernetesClient client) {
    OperatorFixture.namespace(client, NS);
    String vsCrd = "virtualservices.networking.istio.io";
    String vsVersion = crdVersion(client, vsCrd);
    IsthmusOperator.Config config =
        OperatorFixture.watching(NS)
            .withCrds(CrdPolicy.EXTERNAL)
            .withRenderer(iop -> withExtraCrd(Translator.render(iop)));
    try (IsthmusOperator operator = IsthmusOperator.start(client, config)) {
      IstioOperator iop = OperatorFixture.baseOnly("base-only", NS);
      var res = client.resources(IstioOperator.class).inNamespace(NS).resource(iop);
      res.create();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                var status = res.get().getStatus();
                assertThat(status).isNotNull();
                assertThat(status.status).isEqualTo(InstallStatus.ERROR);
                assertThat(status.message)
                    .contains("CustomResourceDefinition " + MISSING + " is not installed");
              });
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName(MISSING).get())
          .as("the operator did not create the CRD")
          .isNull();

      // what OLM does: install the CRD; the requeued reconcile then completes the installation
      client.resource(crd()).serverSideApply();
      KubeObjects.awaitEstablished(client, MISSING);
      OperatorFixture.awaitStatus(res::get, InstallStatus.HEALTHY);
      assertThat(crdVersion(client, vsCrd))
          .as("Istio's CRDs, installed by someone else, were not rewritten")
          .isEqualTo(vsVersion);
      assertThat(
              client
                  .serviceAccounts()
                  .inAnyNamespace()
                  .withLabel(OwnerLabels.OWNING_RESOURCE, "base-only")
                  .list()
                  .getItems())
          .as("the Base component's other objects are installed")
          .isNotEmpty();

      OperatorFixture.deleteAndAwait(res);
    } finally {
      client.apiextensions().v1().customResourceDefinitions().withName(MISSING).delete();
    }
  }

  private static String crdVersion(KubernetesClient client, String name) {
    return client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .withName(name)
        .get()
        .getMetadata()
        .getResourceVersion();
  }

  private static CustomResourceDefinition crd() {
    return KubeObjects.crd("external.isthmus.dev", "Widget");
  }

  /** The rendered set plus a CRD nobody has installed yet, in the Base component. */
  private static RenderResult withExtraCrd(RenderResult r) {
    List<ComponentManifest> components = new ArrayList<>();
    for (ComponentManifest c : r.components()) {
      if ("Base".equals(c.component())) {
        List<ObjectNode> objects = new ArrayList<>();
        objects.add(Serialization.jsonMapper().valueToTree(crd()));
        objects.addAll(c.objects());
        components.add(new ComponentManifest(c.component(), c.name(), objects));
      } else {
        components.add(c);
      }
    }
    return new RenderResult(r.merged(), r.values(), components, r.warnings());
  }
}
