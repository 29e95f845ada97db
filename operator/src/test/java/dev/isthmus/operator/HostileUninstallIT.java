package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.KubeObjects;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Uninstall never leaves the IstioOperator's finalizer behind: a kind the installation owns objects
 * of may stop being served (someone deletes its CRD first), and the operator then goes past it,
 * recording a Warning event that names it.
 */
@WithKubeApiServer
@Tag("hostile")
class HostileUninstallIT {
  static final String NS = "isthmus-unserved";
  static final String CRD = "gadgets.unserved.isthmus.dev";

  @Test
  void uninstallGoesPastAKindWhoseCrdWasDeleted(KubernetesClient client) {
    OperatorFixture.namespace(client, NS);
    client.resource(KubeObjects.crd("unserved.isthmus.dev", "Gadget")).serverSideApply();
    KubeObjects.awaitEstablished(client, CRD);
    IsthmusOperator.Config config =
        OperatorFixture.watching(NS).withRenderer(iop -> withGadget(Translator.render(iop)));
    try (IsthmusOperator operator = IsthmusOperator.start(client, config)) {
      var res =
          client
              .resources(IstioOperator.class)
              .inNamespace(NS)
              .resource(OperatorFixture.baseOnly("gadgets", NS));
      res.create();
      OperatorFixture.awaitStatus(res::get, InstallStatus.HEALTHY);
      assertThat(
              client
                  .genericKubernetesResources("unserved.isthmus.dev/v1", "Gadget")
                  .inNamespace(NS)
                  .withName("gadget")
                  .get())
          .as("the rendered Gadget was applied")
          .isNotNull();

      client.apiextensions().v1().customResourceDefinitions().withName(CRD).delete();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  client.apiextensions().v1().customResourceDefinitions().withName(CRD).get()
                      == null);
      OperatorFixture.deleteAndAwait(res);
      List<Event> warnings =
          client.v1().events().inNamespace(NS).list().getItems().stream()
              .filter(e -> "Warning".equals(e.getType()))
              .toList();
      assertThat(warnings)
          .as("a Warning event names the kind uninstall went past")
          .anyMatch(
              e -> "KindNotServed".equals(e.getReason()) && e.getMessage().contains("Gadget"));
    } finally {
      client.apiextensions().v1().customResourceDefinitions().withName(CRD).delete();
    }
  }

  /** The rendered set plus a Gadget, labelled like every other object the IstioOperator owns. */
  private static RenderResult withGadget(RenderResult r) {
    ObjectNode owned =
        r.objects().stream()
            .filter(o -> o.path("metadata").path("labels").has(OwnerLabels.OWNING_RESOURCE))
            .findFirst()
            .orElseThrow();
    ObjectNode gadget = JsonNodeFactory.instance.objectNode();
    gadget.put("apiVersion", "unserved.isthmus.dev/v1");
    gadget.put("kind", "Gadget");
    ObjectNode meta = gadget.putObject("metadata");
    meta.put("name", "gadget");
    meta.put("namespace", NS);
    meta.set("labels", owned.path("metadata").path("labels").deepCopy());
    List<ComponentManifest> components = new ArrayList<>(r.components());
    ComponentManifest last = components.remove(components.size() - 1);
    List<ObjectNode> objects = new ArrayList<>(last.objects());
    objects.add(gadget);
    components.add(new ComponentManifest(last.component(), last.name(), objects));
    return new RenderResult(r.merged(), r.values(), components, r.warnings());
  }
}
