package dev.isthmus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.local.Echo;
import dev.isthmus.local.LocalMesh;
import dev.isthmus.local.WorkloadCertificate;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The flow of {@code isthmus up}, end to end on a real API server: operator → IstioOperator HEALTHY
 * → control plane in-process → workload certificate → proxyless gRPC call through xDS → a
 * VirtualService shifts traffic → uninstall.
 */
@WithKubeApiServer
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedMeshIT {
  static KubernetesClient client;
  static LocalMesh mesh;

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    mesh = new LocalMesh(client, System.out);
    mesh.installCrds();
    mesh.startOperator();
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @Order(1)
  void theIstioOperatorBecomesHealthyWithTheControlPlaneRunningInProcess() throws Exception {
    IstioOperator iop = mesh.install(LocalMesh.DEFAULT_IOP, Duration.ofMinutes(3));
    assertThat(iop.getStatus().status).isEqualTo(InstallStatus.HEALTHY);
    assertThat(iop.getStatus().componentStatus).containsKeys("Base", "Pilot");
    assertThat(iop.getStatus().componentStatus.values())
        .allMatch(s -> s.status == InstallStatus.HEALTHY);
    assertThat(iop.getStatus().observedGeneration).isEqualTo(iop.getMetadata().getGeneration());
    assertThat(mesh.istiod().ready()).isTrue();
  }

  @Test
  @Order(2)
  void theWorkloadGetsACertificateThatVerifiesToThePublishedRoot() throws Exception {
    mesh.deployDemo();
    WorkloadCertificate.Issued issued = mesh.certificate();
    assertThat(issued.identity()).isEqualTo("spiffe://cluster.local/ns/demo/sa/echo");
    var sans = issued.chain().get(0).getSubjectAlternativeNames();
    assertThat(sans).anyMatch(san -> san.get(1).equals(issued.identity()));
    String published =
        client
            .configMaps()
            .inNamespace("demo")
            .withName("istio-ca-root-cert")
            .get()
            .getData()
            .get("root-cert.pem");
    WorkloadCertificate.verify(
        issued.chain(), dev.isthmus.controlplane.ca.Pem.certificate(published));
  }

  @Test
  @Order(3)
  void callsAreRoutedThroughXdsAndFollowAVirtualService() throws Exception {
    String first = mesh.call(Duration.ofSeconds(60));
    assertThat(first).isIn("echo-v1", "echo-v2");
    Map<String, Integer> before = calls(40);
    assertThat(before.keySet()).containsExactlyInAnyOrder("echo-v1", "echo-v2");

    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: echo, namespace: demo}
        spec:
          host: echo.demo.svc.cluster.local
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """);
    long start = System.nanoTime();
    apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: demo}
        spec:
          hosts: [echo.demo.svc.cluster.local]
          http:
          - route:
            - destination: {host: echo.demo.svc.cluster.local, subset: v2}
              weight: 100
        """);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> calls(10).keySet().equals(java.util.Set.of("echo-v2")));
    System.out.printf(
        "[e2e] traffic shifted to echo-v2 %.0f ms after the VirtualService was applied%n",
        (System.nanoTime() - start) / 1e6);
    assertThat(calls(50)).containsOnlyKeys("echo-v2");
  }

  @Test
  @Order(4)
  void deletingTheIstioOperatorStopsTheControlPlaneAndRemovesWhatItOwned() {
    client
        .resources(IstioOperator.class)
        .inNamespace("istio-system")
        .withName("installed-state")
        .delete();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                client
                        .resources(IstioOperator.class)
                        .inNamespace("istio-system")
                        .withName("installed-state")
                        .get()
                    == null);
    assertThat(mesh.runtime().size()).isZero();
    assertThat(client.apps().deployments().inNamespace("istio-system").withName("istiod").get())
        .isNull();
    assertThat(client.configMaps().inNamespace("istio-system").withName("istio").get()).isNull();
    assertThat(
            client
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("virtualservices.networking.istio.io")
                .get())
        .isNotNull();
  }

  private static Map<String, Integer> calls(int n) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      seen.merge(Echo.who(mesh.channel()), 1, Integer::sum);
    }
    return seen;
  }

  private static void apply(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    client.resource(r).fieldManager("e2e").serverSideApply();
  }
}
