package dev.isthmus.cli.cluster;

import static dev.isthmus.cli.cluster.ClusterVerbsFixture.client;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.namespace;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.cli.cluster.VerbRunner.Run;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code isthmus analyze} over config stored in a real API server (no validation webhook runs
 * there, so broken objects can be stored): a broken VirtualService gets IST0106 and IST0101 and
 * exit 79; a clean namespace exits 0; an unlabelled namespace gets IST0102 (Info, exit 0).
 */
class AnalyzeIT {
  @BeforeAll
  static void config() {
    namespace("anz-broken", "istio-injection", "enabled");
    namespace("anz-clean", "istio-injection", "enabled");
    namespace("anz-plain");
    service("anz-broken", "reviews");
    service("anz-clean", "reviews");
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: x, namespace: anz-broken}
        spec:
          hosts: [reviews]
          gateways: [missing-gw]
          http:
          - route:
            - destination: {host: reviews}
              weight: -1
        """);
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: ghost, namespace: anz-broken}
        spec:
          hosts: [ghost]
          http:
          - route:
            - destination: {host: ratings}
        """);
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: anz-clean}
        spec:
          host: reviews
        """);
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: anz-clean}
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews.anz-clean.svc.cluster.local}
        """);
  }

  static void apply(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    client().resource(r).serverSideApply();
  }

  static void service(String ns, String name) {
    client()
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("http")
                .withPort(9080)
                .endPort()
                .endSpec()
                .build())
        .serverSideApply();
  }

  @Test
  void brokenVirtualServiceGetsItsCodesAndExit79() {
    Run r = run("analyze", "-n", "anz-broken");
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(AnalyzeCommand.ISSUES_FOUND);
    assertThat(r.out())
        .contains(
            "Error [IST0101] (VirtualService anz-broken/x) Referenced gateway not found:"
                + " \"missing-gw\"")
        .contains(
            "Error [IST0101] (VirtualService anz-broken/ghost) Referenced host not found: \"ratings\"")
        .contains("Error [IST0106] (VirtualService anz-broken/x) Schema validation error: ")
        .contains("weight -1 < 0");
    assertThat(r.err()).contains("Analyzers found issues when analyzing namespace: anz-broken.");
  }

  @Test
  void cleanNamespaceExitsZero() {
    Run r = run("analyze", "-n", "anz-clean");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("✔ No validation issues found when analyzing namespace: anz-clean.");
  }

  @Test
  void uninjectedNamespaceIsInformation() {
    Run r = run("analyze", "-n", "anz-plain");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .startsWith(
            "Info [IST0102] (Namespace anz-plain) The namespace is not enabled for Istio injection.");
  }

  @Test
  void allNamespacesFindsTheBrokenOne() {
    Run r = run("analyze", "-A", "-o", "json");
    assertThat(r.code()).isEqualTo(AnalyzeCommand.ISSUES_FOUND);
    assertThat(r.out()).contains("\"code\" : \"IST0106\"").contains("VirtualService anz-broken/x");
    assertThat(r.out()).doesNotContain("anz-clean/");
  }

  @Test
  void badInputExitsOne() {
    Run r = run("analyze", "-n", "anz-nowhere");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("namespace anz-nowhere not found");
    Run both = run("analyze", "-A", "-n", "anz-clean");
    assertThat(both.code()).isEqualTo(1);
    assertThat(both.err()).contains("exclusive");
  }
}
