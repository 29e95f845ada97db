package dev.isthmus.operator;

import static dev.isthmus.operator.OperatorFixture.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorStatus;
import dev.isthmus.testing.KubeObjects;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The operator's behaviour against a real API server, in the order an installation lives. */
@WithKubeApiServer
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IstioOperatorReconcilerIT {
  static final String NS = "istio-system";
  static final String IOP_YAML =
      """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata:
        name: installed-state
        namespace: istio-system
      spec:
        profile: default
        components:
          pilot:
            k8s:
              replicaCount: 1
        values:
          pilot:
            autoscaleEnabled: false
      """;

  static KubernetesClient client;
  static OperatorFixture.Counter counter = new OperatorFixture.Counter();
  static IsthmusOperator operator;

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    OperatorFixture.namespace(client, NS);
    operator = startOperator();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  static IsthmusOperator startOperator() {
    return IsthmusOperator.start(
        client, IsthmusOperator.Config.defaults().withListeners(List.of(counter)));
  }

  static Resource<IstioOperator> iop(String name) {
    return client.resources(IstioOperator.class).inNamespace(NS).withName(name);
  }

  static IstioOperator current() {
    return iop("installed-state").get();
  }

  static RenderResult expected() {
    return OperatorFixture.rendered(current());
  }

  @Test
  @Order(1)
  void installsTheDefaultProfileAndReportsHealthy() {
    client
        .resources(IstioOperator.class)
        .inNamespace(NS)
        .resource(OperatorFixture.iop(IOP_YAML))
        .create();
    RenderResult expected = expected();
    assertThat(expected.objects()).hasSizeGreaterThan(10);
    OperatorFixture.awaitApplied(client, expected);
    for (ObjectNode o : expected.objects()) {
      GenericKubernetesResource live = KubeObjects.live(client, o);
      assertThat(live.getMetadata().getLabels())
          .as(Objects.key(live))
          .containsEntry(OwnerLabels.OWNING_RESOURCE, "installed-state")
          .containsEntry(OwnerLabels.OWNING_RESOURCE_NAMESPACE, NS)
          .containsEntry(OwnerLabels.MANAGED, "Reconcile")
          .containsKey(OwnerLabels.COMPONENT);
    }
    OperatorFixture.awaitStatus(IstioOperatorReconcilerIT::current, InstallStatus.RECONCILING);
    assertThat(current().getStatus().message).contains("Deployment istio-system/istiod");

    OperatorFixture.simulateReady(client, expected);
    OperatorFixture.awaitStatus(IstioOperatorReconcilerIT::current, InstallStatus.HEALTHY);
    IstioOperator iop = current();
    assertThat(iop.getStatus().observedGeneration).isEqualTo(iop.getMetadata().getGeneration());
    assertThat(iop.getStatus().componentStatus).containsKeys("Base", "Pilot", "IngressGateways");
    assertThat(iop.getStatus().componentStatus.values())
        .allMatch(s -> s.status == InstallStatus.HEALTHY);
    assertThat(iop.getStatus().conditions)
        .anyMatch(
            c ->
                c.getType().equals(IstioOperatorStatus.CONDITION_READY)
                    && c.getStatus().equals("True"))
        .anyMatch(
            c ->
                c.getType().equals(IstioOperatorStatus.CONDITION_RECONCILED)
                    && c.getStatus().equals("True"));
    assertThat(iop.getMetadata().getFinalizers()).contains(OwnerLabels.FINALIZER);
    assertThat(events("Installed")).isNotEmpty();
  }

  @Test
  @Order(2)
  void convergedReconcilesWriteNothing() {
    IstioOperator iopBefore = current();
    String iopVersion = iopBefore.getMetadata().getResourceVersion();
    RenderResult expected = expected();
    Map<String, String> before = OperatorFixture.versions(client, expected);
    for (int i = 0; i < 5; i++) {
      // every start of the controller reconciles every IstioOperator once
      int seen = counter.applied.get();
      operator.close();
      operator = startOperator();
      await().atMost(TIMEOUT).until(() -> counter.applied.get() > seen);
    }
    assertThat(OperatorFixture.versions(client, expected)).isEqualTo(before);
    assertThat(current().getMetadata().getResourceVersion())
        .as(
            () ->
                "IstioOperator rewritten:\n"
                    + io.fabric8.kubernetes.client.utils.Serialization.asYaml(iopBefore)
                    + "\n=== now ===\n"
                    + io.fabric8.kubernetes.client.utils.Serialization.asYaml(current()))
        .isEqualTo(iopVersion);
  }

  @Test
  @Order(3)
  void manualEditsAreReverted() {
    client.apps().deployments().inNamespace(NS).withName("istiod").scale(4);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client
                        .apps()
                        .deployments()
                        .inNamespace(NS)
                        .withName("istiod")
                        .get()
                        .getSpec()
                        .getReplicas()
                    == 1);

    var mesh = client.configMaps().inNamespace(NS).withName("istio");
    String original = mesh.get().getData().get("mesh");
    mesh.edit(
        cm -> {
          cm.getData().put("mesh", "defaultConfig: {}\n");
          return cm;
        });
    await().atMost(TIMEOUT).until(() -> original.equals(mesh.get().getData().get("mesh")));
  }

  @Test
  @Order(4)
  void deletedObjectsAreRecreated() {
    var svc = client.services().inNamespace(NS).withName("istiod");
    String uid = svc.get().getMetadata().getUid();
    svc.delete();
    await()
        .atMost(TIMEOUT)
        .until(() -> svc.get() != null && !svc.get().getMetadata().getUid().equals(uid));
  }

  @Test
  @Order(5)
  void invalidSpecAppliesNothing() {
    RenderResult expected = expected();
    OperatorFixture.simulateReady(client, expected);
    OperatorFixture.awaitStatus(IstioOperatorReconcilerIT::current, InstallStatus.HEALTHY);
    Map<String, String> before = OperatorFixture.versions(client, expected);
    iop("installed-state")
        .edit(
            iop -> {
              iop.getSpec().revision = "Not_A_Label!";
              iop.getSpec().hub = "bad hub::";
              return iop;
            });
    OperatorFixture.awaitStatus(IstioOperatorReconcilerIT::current, InstallStatus.ERROR);
    IstioOperator iop = current();
    assertThat(iop.getStatus().message).contains("spec.revision");
    assertThat(iop.getStatus().observedGeneration).isEqualTo(iop.getMetadata().getGeneration());
    assertThat(iop.getStatus().conditions)
        .anyMatch(
            c ->
                c.getType().equals(IstioOperatorStatus.CONDITION_RECONCILED)
                    && c.getStatus().equals("False")
                    && c.getReason().equals("InvalidSpec"));
    assertThat(events("InvalidSpec")).isNotEmpty();
    assertThat(OperatorFixture.versions(client, expected)).isEqualTo(before);

    iop("installed-state")
        .edit(
            i -> {
              i.getSpec().revision = null;
              i.getSpec().hub = null;
              return i;
            });
    OperatorFixture.awaitStatus(IstioOperatorReconcilerIT::current, InstallStatus.HEALTHY);
  }

  @Test
  @Order(6)
  void disablingTheIngressGatewayPrunesOnlyItsObjects() {
    RenderResult before = expected();
    Map<String, String> versionsBefore = OperatorFixture.versions(client, before);
    iop("installed-state")
        .edit(
            iop -> {
              var gw = new dev.isthmus.api.v1alpha1.GatewayComponentSpec();
              gw.name = "istio-ingressgateway";
              gw.enabled = false;
              iop.getSpec().components = new dev.isthmus.api.v1alpha1.IstioComponentSpec();
              iop.getSpec().components.ingressGateways = List.of(gw);
              var pilot = new dev.isthmus.api.v1alpha1.ComponentSpec();
              pilot.k8s = new dev.isthmus.api.v1alpha1.KubernetesResources();
              pilot.k8s.replicaCount = 1;
              iop.getSpec().components.pilot = pilot;
              return iop;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client.apps().deployments().inNamespace(NS).withName("istio-ingressgateway").get()
                    == null);
    RenderResult after = expected();
    assertThat(after.components()).noneMatch(c -> c.component().equals("IngressGateways"));
    Map<String, String> versionsAfter = OperatorFixture.versions(client, after);
    Map<String, ObjectNode> desiredBefore = byKey(before);
    Map<String, ObjectNode> desiredAfter = byKey(after);
    int unchanged = 0;
    for (var e : versionsAfter.entrySet()) {
      if (desiredAfter.get(e.getKey()).equals(desiredBefore.get(e.getKey()))) {
        unchanged++;
        assertThat(e.getValue())
            .as("%s has the same desired state but was rewritten", e.getKey())
            .isEqualTo(versionsBefore.get(e.getKey()));
      }
    }
    assertThat(unchanged).isGreaterThan(10);
    for (ObjectNode o : before.objects()) {
      boolean gateway =
          before.components().stream()
              .filter(c -> c.component().equals("IngressGateways"))
              .anyMatch(c -> c.objects().contains(o));
      if (gateway) {
        assertThat(KubeObjects.live(client, o))
            .as(o.path("kind").asText() + " " + o.path("metadata").path("name").asText())
            .isNull();
      }
    }
    assertThat(events("Pruned")).isNotEmpty();
  }

  @Test
  @Order(7)
  void twoRevisionsCoexistAndDeletingOneKeepsTheOther() {
    RenderResult main = expected();
    Map<String, String> mainVersions = OperatorFixture.versions(client, main);
    IstioOperator canary =
        OperatorFixture.iop(
            """
            apiVersion: install.istio.io/v1alpha1
            kind: IstioOperator
            metadata:
              name: canary
              namespace: istio-system
            spec:
              profile: minimal
              revision: canary
            """);
    client.resources(IstioOperator.class).inNamespace(NS).resource(canary).create();
    var istiodCanary = client.apps().deployments().inNamespace(NS).withName("istiod-canary");
    await().atMost(TIMEOUT).until(() -> istiodCanary.get() != null);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client
                        .admissionRegistration()
                        .v1()
                        .mutatingWebhookConfigurations()
                        .withName("istio-sidecar-injector-canary")
                        .get()
                    != null);
    OperatorFixture.deleteAndAwait(iop("canary"));
    await().atMost(TIMEOUT).until(() -> istiodCanary.get() == null);
    Map<String, String> after = OperatorFixture.versions(client, main);
    assertThat(after).doesNotContainValue("<missing>");
    main.objects().stream()
        .filter(o -> o.path("metadata").path("namespace").isTextual())
        .forEach(
            o -> {
              String k = Objects.key(o);
              assertThat(after.get(k)).as(k).isEqualTo(mainVersions.get(k));
            });
  }

  @Test
  @Order(8)
  void deletingTheIstioOperatorRemovesWhatItOwnedButNotCrds() {
    RenderResult expected = expected();
    OperatorFixture.deleteAndAwait(iop("installed-state"));
    for (ObjectNode o : expected.objects()) {
      GenericKubernetesResource live = KubeObjects.live(client, o);
      if (o.path("kind").asText().equals("CustomResourceDefinition")) {
        assertThat(live).as(o.path("metadata").path("name").asText()).isNotNull();
      } else {
        assertThat(live)
            .as(o.path("kind").asText() + " " + o.path("metadata").path("name").asText())
            .isNull();
      }
    }
  }

  @Test
  @Order(9)
  void anOperatorRestartedMidApplyConvergesWithoutDuplicates() {
    operator.close();
    IstioOperator iop = OperatorFixture.iop(IOP_YAML.replace("installed-state", "restarted"));
    IstioOperator created =
        client.resources(IstioOperator.class).inNamespace(NS).resource(iop).create();
    RenderResult expected = OperatorFixture.rendered(created);
    // a previous operator died after applying half of the objects
    List<ObjectNode> all = expected.objects();
    for (GenericKubernetesResource o :
        Objects.toResources(client, all.subList(0, all.size() / 2))) {
      client.resource(o).fieldManager(OwnerLabels.FIELD_MANAGER).forceConflicts().serverSideApply();
    }
    operator = startOperator();
    OperatorFixture.awaitApplied(client, expected);
    int owned = 0;
    Pruner pruner = new Pruner(client, Set.of(NS));
    for (ManagedKinds.Kind kind : ManagedKinds.ALL) {
      owned += pruner.owned(created, kind).size();
    }
    assertThat(owned).isEqualTo(all.size());
    OperatorFixture.deleteAndAwait(iop("restarted"));
  }

  private static Map<String, ObjectNode> byKey(RenderResult r) {
    Map<String, ObjectNode> out = new java.util.TreeMap<>();
    r.objects().forEach(o -> out.put(Objects.key(o), o));
    return out;
  }

  private static List<String> events(String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .map(e -> e.getMessage())
        .toList();
  }
}
