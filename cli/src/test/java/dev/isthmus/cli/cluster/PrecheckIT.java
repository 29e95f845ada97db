package dev.isthmus.cli.cluster;

import static dev.isthmus.cli.cluster.ClusterVerbsFixture.client;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.namespace;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.cli.cluster.VerbRunner.Run;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code isthmus x precheck} against a real API server (Kubernetes 1.34, RBAC on, no Gateway API
 * CRDs): a cluster without the revision passes; an install of the same revision is reported; a
 * caller without permissions gets IST0141 and exit 1.
 */
class PrecheckIT {
  @Test
  void clusterWithoutTheRevisionIsSafe() {
    Run r = run("x", "precheck", "-r", "pfresh");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.err())
        .contains(
            "✔ No issues found when checking the cluster. Istio is safe to install or upgrade!");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void anExistingInstallOfTheRevisionIsReported() throws Exception {
    namespace("istio-system");
    client()
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("istiod-pold")
                .withNamespace("istio-system")
                .addToLabels(Map.of("app", "istiod", "istio.io/rev", "pold"))
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .addToMatchLabels("app", "istiod-pold")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "istiod-pold")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("discovery")
                .withImage("example.invalid/pilot:1")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .serverSideApply();
    client()
        .resource(
            new GenericKubernetesResourceBuilder()
                .withApiVersion("install.istio.io/v1alpha1")
                .withKind("IstioOperator")
                .withNewMetadata()
                .withName("pold")
                .withNamespace("istio-system")
                .endMetadata()
                .addToAdditionalProperties("spec", Map.of("revision", "pold"))
                .build())
        .serverSideApply();

    Run r = run("x", "precheck", "--revision", "pold");
    assertThat(r.out())
        .contains(
            "Warning (Deployment istio-system/istiod-pold) An Istio control plane of revision \"pold\" is already installed")
        .contains("Warning (IstioOperator istio-system/pold)");
    assertThat(r.code()).as("warnings alone do not fail: " + r.err()).isZero();

    Run other = run("x", "precheck", "-r", "pnew", "--output-threshold", "Info", "-o", "json");
    assertThat(other.code()).isZero();
    assertThat(other.out())
        .contains("\"level\" : \"Info\"")
        .contains("Deployment istio-system/istiod-pold")
        .contains("left as it is");
  }

  @Test
  void aCallerWithoutPermissionsGetsIst0141() {
    Run r = run("x", "precheck", "-r", "pfresh", "--as", "precheck-nobody");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out())
        .as(r.err())
        .contains(
            "Error [IST0141] (Cluster) Missing required permission to create resource namespaces")
        .contains("resource customresourcedefinitions")
        .contains("resource deployments")
        .contains("Warning (Cluster) Cannot check for an existing install: ")
        .contains("User \"precheck-nobody\" cannot list");
    assertThat(r.err()).contains("Istio may not be safe to install or upgrade");
  }

  @Test
  void badInputExitsOneNamingTheFlag() {
    Map<String[], String> cases =
        Map.of(
            new String[] {"x", "precheck", "-o", "table"}, "--output table",
            new String[] {"x", "precheck", "--output-threshold", "loud"}, "--output-threshold loud",
            new String[] {"x", "precheck", "--context", "nowhere"}, "--context nowhere",
            new String[] {"x", "prechek"}, "prechek");
    cases.forEach(
        (args, says) -> {
          Run r = run(args);
          assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
          assertThat(r.err()).contains(says);
          assertThat(r.out()).isEmpty();
        });
  }
}
