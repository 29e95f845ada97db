package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorStatus;
import dev.isthmus.operator.CrdPolicy;
import dev.isthmus.operator.IsthmusOperator;
import dev.isthmus.testing.KubeObjects;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Installs the operator the way OLM installs this bundle in SingleNamespace mode (operator in
 * {@code operators}, OperatorGroup targeting {@code istio-system}) — its CRDs, the CSV Deployment's
 * ServiceAccount, the clusterPermissions as a ClusterRole bound to that ServiceAccount, the
 * permissions as a Role bound to it in the operator's namespace and in the target namespace — then
 * runs the operator in-process as that ServiceAccount (impersonation), watching the target
 * namespace as {@code WATCH_NAMESPACE} makes it, and installs the default profile: the CSV's
 * permissions must be enough for everything the operator does, with no Forbidden anywhere.
 */
@WithKubeApiServer
class InstallFromBundleIT {
  static final String OPERATOR_NS = "operators";
  static final String ISTIO_NS = "istio-system";

  @Test
  void theCsvPermissionsInstallAndUninstallTheDefaultProfile(KubernetesClient admin)
      throws Exception {
    JsonNode csv = BundleDir.csv();
    applyBundleCrds(admin);
    Rollouts.namespace(admin, OPERATOR_NS);
    JsonNode perms = csv.at("/spec/install/spec/clusterPermissions/0");
    String sa = perms.path("serviceAccountName").asText();
    Subject operatorAccount =
        new SubjectBuilder()
            .withKind("ServiceAccount")
            .withName(sa)
            .withNamespace(OPERATOR_NS)
            .build();
    admin
        .serviceAccounts()
        .inNamespace(OPERATOR_NS)
        .resource(
            new ServiceAccountBuilder()
                .withNewMetadata()
                .withName(sa)
                .withNamespace(OPERATOR_NS)
                .endMetadata()
                .build())
        .serverSideApply();
    List<PolicyRule> rules =
        Serialization.jsonMapper().convertValue(perms.path("rules"), new TypeReference<>() {});
    String roleName = csv.at("/metadata/name").asText() + "-" + sa;
    admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(roleName)
                .endMetadata()
                .withRules(rules)
                .build())
        .serverSideApply();
    admin
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(roleName)
                .endMetadata()
                .withRoleRef(new RoleRef("rbac.authorization.k8s.io", "ClusterRole", roleName))
                .withSubjects(operatorAccount)
                .build())
        .serverSideApply();
    JsonNode namespaced = csv.at("/spec/install/spec/permissions/0");
    assertThat(namespaced.path("serviceAccountName").asText()).isEqualTo(sa);
    List<PolicyRule> namespacedRules =
        Serialization.jsonMapper().convertValue(namespaced.path("rules"), new TypeReference<>() {});
    for (String ns : List.of(OPERATOR_NS, ISTIO_NS)) {
      Rollouts.namespace(admin, ns);
      admin
          .rbac()
          .roles()
          .inNamespace(ns)
          .resource(
              new RoleBuilder()
                  .withNewMetadata()
                  .withName(roleName)
                  .withNamespace(ns)
                  .endMetadata()
                  .withRules(namespacedRules)
                  .build())
          .serverSideApply();
      admin
          .rbac()
          .roleBindings()
          .inNamespace(ns)
          .resource(
              new RoleBindingBuilder()
                  .withNewMetadata()
                  .withName(roleName)
                  .withNamespace(ns)
                  .endMetadata()
                  .withRoleRef(new RoleRef("rbac.authorization.k8s.io", "Role", roleName))
                  .withSubjects(operatorAccount)
                  .build())
          .serverSideApply();
    }
    // the CSV Deployment is a valid Deployment for this API server (it gets no pods: there is no
    // kubelet)
    DeploymentSpec spec =
        Serialization.jsonMapper()
            .convertValue(csv.at("/spec/install/spec/deployments/0/spec"), DeploymentSpec.class);
    admin
        .apps()
        .deployments()
        .inNamespace(OPERATOR_NS)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName(csv.at("/spec/install/spec/deployments/0/name").asText())
                .withNamespace(OPERATOR_NS)
                .endMetadata()
                .withSpec(spec)
                .build())
        .dryRun()
        .create();

    Config asOperator =
        new ConfigBuilder(Config.fromKubeconfig(TestKubeApiServer.get().kubeConfigYaml()))
            .withImpersonateUsername("system:serviceaccount:" + OPERATOR_NS + ":" + sa)
            .withImpersonateGroups(
                "system:serviceaccounts",
                "system:serviceaccounts:" + OPERATOR_NS,
                "system:authenticated")
            .build();
    try (KubernetesClient operatorClient =
        new KubernetesClientBuilder().withConfig(asOperator).build()) {
      // control: the impersonated client really is limited to the CSV's rules
      assertThatThrownBy(() -> operatorClient.pods().inAnyNamespace().list())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
      // Secrets only where OLM bound the CSV's permissions
      assertThatThrownBy(() -> operatorClient.secrets().inNamespace("default").list())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));

      // and OLM owns the CRDs: the ServiceAccount cannot write one
      var crd =
          operatorClient
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName("virtualservices.networking.istio.io")
              .get();
      assertThat(crd).as("CRDs are readable").isNotNull();
      crd.getMetadata().setManagedFields(null);
      crd.getMetadata().setResourceVersion(null);
      assertThatThrownBy(
              () ->
                  operatorClient
                      .resource(crd)
                      .dryRun()
                      .fieldManager("isthmus-operator")
                      .forceConflicts()
                      .serverSideApply())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));

      List<String> statusMessages = new CopyOnWriteArrayList<>();
      // leader election is exercised below through the Lease API directly: JOSDK exits the JVM when
      // an operator that
      // led stops (exitOnStopLeading), which an in-process test cannot survive
      IsthmusOperator operator =
          IsthmusOperator.start(
              operatorClient,
              IsthmusOperator.Config.defaults()
                  .withWatchedNamespaces(Set.of(ISTIO_NS))
                  .withCrds(CrdPolicy.EXTERNAL));
      try {
        Rollouts.namespace(admin, ISTIO_NS);
        IstioOperator iop = BundleResources.defaultIstioOperator();
        IstioOperator created =
            admin.resources(IstioOperator.class).inNamespace(ISTIO_NS).resource(iop).create();
        RenderResult expected = Translator.render(created);
        assertThat(expected.objects())
            .anyMatch(
                o ->
                    o.path("kind").asText().equals("Deployment")
                        && o.at("/metadata/name").asText().equals("istiod"));
        var res =
            admin
                .resources(IstioOperator.class)
                .inNamespace(ISTIO_NS)
                .withName(iop.getMetadata().getName());
        await()
            .atMost(Rollouts.TIMEOUT)
            .untilAsserted(
                () -> {
                  record(res.get(), statusMessages);
                  assertThat(missing(admin, expected)).isEmpty();
                });
        Rollouts.completeRollouts(admin, expected);
        await()
            .atMost(Rollouts.TIMEOUT)
            .until(
                () -> {
                  IstioOperator now = res.get();
                  record(now, statusMessages);
                  return now.getStatus() != null && now.getStatus().status == InstallStatus.HEALTHY;
                });
        IstioOperatorStatus status = res.get().getStatus();
        assertThat(status.conditions)
            .anyMatch(c -> c.getType().equals("Reconciled") && c.getStatus().equals("True"));
        assertThat(operator.healthy())
            .as("informers of every managed kind started under the CSV's RBAC")
            .isTrue();
        assertThat(statusMessages).noneMatch(m -> m.toLowerCase().contains("forbidden"));
        assertThat(admin.v1().events().inNamespace(ISTIO_NS).list().getItems())
            .noneMatch(
                e -> e.getMessage() != null && e.getMessage().toLowerCase().contains("forbidden"));
        assertThat(leaseRoundTrip(operatorClient))
            .as("leader election Lease written by the ServiceAccount")
            .isEqualTo("isthmus-operator");

        // uninstall through the finalizer, still as the ServiceAccount
        res.delete();
        await().atMost(Rollouts.TIMEOUT).until(() -> res.get() == null);
        for (ObjectNode o : expected.objects()) {
          if (!o.path("kind").asText().equals("CustomResourceDefinition")) {
            assertThat(KubeObjects.live(admin, o))
                .as(o.path("kind").asText() + " " + o.at("/metadata/name").asText())
                .isNull();
          }
        }
      } finally {
        operator.close();
      }
    }
  }

  /** What JOSDK's leader election does with the Lease: create, get, update. */
  private static String leaseRoundTrip(KubernetesClient asOperator) {
    var lease =
        asOperator
            .leases()
            .inNamespace(OPERATOR_NS)
            .resource(
                new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder()
                    .withNewMetadata()
                    .withName("isthmus-operator-lock")
                    .withNamespace(OPERATOR_NS)
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity("isthmus-operator")
                    .withLeaseDurationSeconds(15)
                    .endSpec()
                    .build());
    lease.create();
    var got = asOperator.leases().inNamespace(OPERATOR_NS).withName("isthmus-operator-lock").get();
    got.getSpec().setLeaseTransitions(1);
    return asOperator
        .leases()
        .inNamespace(OPERATOR_NS)
        .resource(got)
        .update()
        .getSpec()
        .getHolderIdentity();
  }

  private static void record(IstioOperator iop, List<String> messages) {
    if (iop != null && iop.getStatus() != null && iop.getStatus().message != null) {
      messages.add(iop.getStatus().message);
    }
  }

  static void applyBundleCrds(KubernetesClient admin) throws Exception {
    List<Path> crds = new ArrayList<>();
    try (Stream<Path> files = Files.list(BundleDir.root().resolve("manifests"))) {
      files.filter(p -> p.toString().endsWith(".crd.yaml")).sorted().forEach(crds::add);
    }
    assertThat(crds).isNotEmpty();
    for (Path p : crds) {
      CustomResourceDefinition crd =
          Serialization.unmarshal(Files.readString(p), CustomResourceDefinition.class);
      admin
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(crd)
          .fieldManager("olm")
          .forceConflicts()
          .serverSideApply();
      KubeObjects.awaitEstablished(admin, crd.getMetadata().getName());
    }
  }

  static List<String> missing(KubernetesClient client, RenderResult expected) {
    List<String> out = new ArrayList<>();
    for (ObjectNode o : expected.objects()) {
      if (KubeObjects.live(client, o) == null) {
        out.add(
            o.path("kind").asText()
                + " "
                + o.path("metadata").path("namespace").asText("")
                + "/"
                + o.at("/metadata/name").asText());
      }
    }
    return out;
  }
}
