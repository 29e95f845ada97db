package dev.isthmus.controlplane.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import dev.isthmus.controlplane.webhooks.inject.IstioInjectorCorpus;
import dev.isthmus.testing.TestKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The upstream Gateway API conformance suite ({@code sigs.k8s.io/gateway-api/conformance} at the
 * release whose CRDs Isthmus supports, built by {@code scripts/gateway-api.sh} as the suite's own
 * test binary) against the control plane and a real API server of this test's own, with the
 * experimental channel's CRDs.
 *
 * <p>What runs beside them, and what stands in for what is not here:
 *
 * <ul>
 *   <li>kube-controller-manager (real, built by {@code scripts/kube-binaries.sh}): Deployments to
 *       ReplicaSets to Pods, EndpointSlices, ServiceAccounts, garbage collection.
 *   <li>{@link ClusterStandIns}: there is no kubelet and no load-balancer controller; it marks each
 *       Pod Running and Ready with a loopback pod IP and gives each LoadBalancer Service a loopback
 *       ingress address, as a kubelet and a cloud controller would.
 *   <li>No Envoy: the suite's traffic tests send requests through the gateway and cannot run; they
 *       are skipped, each named in {@link #TRAFFIC}.
 * </ul>
 *
 * Every test the suite runs must pass; the summary line names how many ran and passed. The suite's
 * log and report are kept under {@code target/gateway-api-conformance/}.
 */
class GatewayApiUpstreamConformanceIT {
  /** Tests that send traffic through the gateway (HTTP, gRPC, TLS, TCP, UDP): no Envoy here. */
  static final List<String> TRAFFIC =
      List.of(
          "BackendTLSPolicy",
          "BackendTLSPolicyConflictResolution",
          "BackendTLSPolicyInvalidCACertificateRef",
          "BackendTLSPolicyInvalidKind",
          "BackendTLSPolicySANValidation",
          "GRPCExactMethodMatching",
          "GRPCRouteHeaderMatching",
          "GRPCRouteListenerHostnameMatching",
          "GRPCRouteNamedRule",
          "GRPCRouteWeight",
          "GatewayFrontendClientCertificateValidation",
          "GatewayFrontendClientCertificateValidationInsecureFallback",
          "GatewayFrontendInvalidDefaultClientCertificateValidation",
          "GatewayHTTPListenerIsolation",
          "GatewayTLSBackendClientCertificate",
          "HTTPRoute303Redirect",
          "HTTPRoute307Redirect",
          "HTTPRoute308Redirect",
          "HTTPRouteBackendProtocolH2C",
          "HTTPRouteBackendProtocolWebSocket",
          "HTTPRouteBackendRequestHeaderModifier",
          "HTTPRouteCORS",
          "HTTPRouteCrossNamespace",
          "HTTPRouteExactPathMatching",
          "HTTPRouteHTTPSListener",
          "HTTPRouteHTTPSListenerDetectMisdirectedRequests",
          "HTTPRouteHeaderMatching",
          "HTTPRouteHostnameIntersection",
          "HTTPRouteInvalidBackendRefUnknownKind",
          "HTTPRouteInvalidCrossNamespaceBackendRef",
          "HTTPRouteInvalidNonExistentBackendRef",
          "HTTPRouteInvalidReferenceGrant",
          "HTTPRouteListenerHostnameMatching",
          "HTTPRouteListenerPortMatching",
          "HTTPRouteMatching",
          "HTTPRouteMatchingAcrossRoutes",
          "HTTPRouteMethodMatching",
          "HTTPRouteMultipleGateways",
          "HTTPRouteNamedRule",
          "HTTPRouteNoBackendRefs",
          "HTTPRoutePartiallyInvalidViaInvalidReferenceGrant",
          "HTTPRoutePathMatchOrder",
          "HTTPRouteQueryParamMatching",
          "HTTPRouteRedirectHostAndStatus",
          "HTTPRouteRedirectPath",
          "HTTPRouteRedirectPort",
          "HTTPRouteRedirectPortAndScheme",
          "HTTPRouteRedirectScheme",
          "HTTPRouteReferenceGrant",
          "HTTPRouteRequestHeaderModifier",
          "HTTPRouteRequestHeaderModifierBackendWeights",
          "HTTPRouteRequestMirror",
          "HTTPRouteRequestMultipleMirrors",
          "HTTPRouteRequestPercentageMirror",
          "HTTPRouteResponseHeaderModifier",
          "HTTPRouteRetry",
          "HTTPRouteRewriteHost",
          "HTTPRouteRewritePath",
          "HTTPRouteServiceTypes",
          "HTTPRouteSimpleSameNamespace",
          "HTTPRouteTimeoutBackendRequest",
          "HTTPRouteTimeoutRequest",
          "HTTPRouteWeight",
          "ListenerSetAllowedRoutesNamespaces",
          "ListenerSetDualParentRefIndependence",
          "ListenerSetGatewayParentSectionNameNotFound",
          "ListenerSetHTTPRouting",
          "TCPRouteMultipleRoutesAttachment",
          "TCPRouteParentRefAttachAll",
          "TCPRouteParentRefPortAndSectionName",
          "TCPRouteReferenceGrant",
          "TCPRouteWeightedRouting",
          "TLSRouteHostnameIntersection",
          "TLSRouteInvalidBackendRefNonexistent",
          "TLSRouteInvalidBackendRefUnknownKind",
          "TLSRouteMixedTerminationSameNamespace",
          "TLSRouteSimpleSameNamespace",
          "TLSRouteTerminateSimpleSameNamespace",
          "UDPRoute",
          "UDPRouteParentRefAttachAllListeners",
          "UDPRouteParentRefPortAndSectionName",
          "UDPRouteReferenceGrant",
          "UDPRouteWeightedRouting");

  /**
   * Features not claimed, as Istio does not claim them at the same commit (UDPRoute, backend client
   * certificates, misdirected-request detection), and the mesh (GAMMA) profile, whose tests all
   * send traffic between sidecars.
   */
  static final List<String> EXEMPT_FEATURES =
      List.of(
          "UDPRoute",
          "GatewayBackendClientCertificate",
          "GatewayHTTPSListenerDetectMisdirectedRequests",
          "Mesh",
          "MeshClusterIPMatching",
          "MeshConsumerRoute",
          "MeshHTTPRouteRewritePath",
          "MeshHTTPRouteSchemeRedirect",
          "MeshHTTPRouteRedirectPort",
          "MeshHTTPRouteRedirectPath",
          "MeshHTTPRouteBackendRequestHeaderModification",
          "MeshHTTPRouteQueryParamMatching",
          "MeshHTTPRouteNamedRouteRule");

  static final Path OUT = Path.of("target", "gateway-api-conformance");

  static Path required(Path file, String script) {
    if (!Files.isExecutable(file)) {
      org.junit.jupiter.api.Assertions.assertFalse(
          "true".equals(System.getenv("CI")), file + " is missing under CI=true (" + script + ")");
      assumeTrue(false, file + " is absent: run " + script);
    }
    return file;
  }

  @Test
  void theSuitesTestsThatNeedNoTrafficPass() throws Exception {
    Path suite =
        required(
            GatewayDeploymentIT.release().resolve("conformance.test"), "scripts/gateway-api.sh");
    Path controllerManager =
        required(
            TestKubeApiServer.binaryFolder()
                .orElse(Path.of("/nonexistent"))
                .resolve("kube-controller-manager"),
            "scripts/kube-binaries.sh");
    Files.createDirectories(OUT);
    try (TestKubeApiServer server = TestKubeApiServer.startSeparate()) {
      KubernetesClient client = server.client();
      GatewayDeploymentIT.installCrds(client, "experimental");
      Path kubeconfig = OUT.resolve("kubeconfig").toAbsolutePath();
      Files.writeString(kubeconfig, server.kubeConfigYaml());
      Process kcm = startControllerManager(controllerManager, kubeconfig);
      try (ClusterStandIns standIns = ClusterStandIns.start(client)) {
        String system = "istio-system";
        installMeshConfig(client, system);
        try (Istiod istiod =
            Istiod.start(
                ControlPlaneConfig.defaults().withEphemeralPorts().withNamespace(system),
                0,
                client)) {
          GatewayDeploymentIT.awaitController(client, istiod);
          Map<String, String> results = runSuite(suite, kubeconfig);
          report(results);
        }
      } finally {
        kcm.destroy();
        if (!kcm.waitFor(10, TimeUnit.SECONDS)) {
          kcm.destroyForcibly();
        }
      }
    }
  }

  static Process startControllerManager(Path binary, Path kubeconfig) throws IOException {
    return new ProcessBuilder(
            binary.toString(),
            "--kubeconfig=" + kubeconfig,
            "--leader-elect=false",
            "--secure-port=0",
            "--controllers=deployment,replicaset,endpointslice,endpointslicemirroring,"
                + "garbagecollector,serviceaccount,namespace",
            "--concurrent-deployment-syncs=2",
            "--v=1")
        .redirectErrorStream(true)
        .redirectOutput(OUT.resolve("kube-controller-manager.log").toFile())
        .start();
  }

  static void installMeshConfig(KubernetesClient client, String system) throws Exception {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(system).endMetadata().build())
        .serverSideApply();
    IstioInjectorCorpus istio = IstioInjectorCorpus.read();
    client
        .configMaps()
        .inNamespace(system)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("istio-sidecar-injector")
                .endMetadata()
                .withData(istio.injector())
                .build())
        .serverSideApply();
    client
        .configMaps()
        .inNamespace(system)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("istio")
                .endMetadata()
                .withData(Map.of("mesh", istio.mesh()))
                .build())
        .serverSideApply();
  }

  /** The options file the suite reads: Istio's choices at the same commit, with our skips. */
  static String options() {
    StringBuilder yaml = new StringBuilder();
    yaml.append("gatewayClassName: istio\n")
        .append("cleanupBaseResources: false\n")
        .append("cleanupTestResources: true\n")
        .append("enableAllSupportedFeatures: true\n")
        .append("exemptFeatures:\n");
    EXEMPT_FEATURES.forEach(f -> yaml.append("- ").append(f).append('\n'));
    yaml.append("skipTests:\n");
    TRAFFIC.forEach(t -> yaml.append("- ").append(t).append('\n'));
    yaml.append(
            """
            usableNetworkAddresses:
            - {type: Hostname, value: infra-backend-v1.gateway-conformance-infra.svc.cluster.local}
            unusableNetworkAddresses:
            - {type: Hostname, value: foo}
            """)
        .append("reportOutputPath: ")
        .append(OUT.resolve("report.yaml").toAbsolutePath())
        .append('\n')
        .append(
            """
            implementation:
              organization: isthmus
              project: isthmus
              url: https://isthmus.dev/
              version: main
              contact: ["isthmus maintainers"]
            """);
    return yaml.toString();
  }

  static final Pattern RESULT =
      Pattern.compile("^\\s*--- (PASS|FAIL|SKIP): TestConformance/([A-Za-z0-9]+) \\(");

  /** Runs the suite; returns each top-level test's result (PASS, FAIL, SKIP). */
  static Map<String, String> runSuite(Path suite, Path kubeconfig) throws Exception {
    Path options = OUT.resolve("options.yaml").toAbsolutePath();
    Files.writeString(options, options());
    Path log = OUT.resolve("suite.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                suite.toString(),
                "-test.v",
                "-test.run=^TestConformance$",
                "-test.timeout=40m",
                "-conformance-options-file=" + options)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    Process p = pb.start();
    if (!p.waitFor(45, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the conformance suite did not finish in 45 minutes; see " + log);
    }
    Map<String, String> results = new TreeMap<>();
    for (String line : Files.readAllLines(log)) {
      Matcher m = RESULT.matcher(line);
      if (m.find()) {
        results.put(m.group(2), m.group(1));
      }
    }
    assertThat(results)
        .as("the suite ran no test (exit %d); see %s", p.exitValue(), log)
        .isNotEmpty();
    return results;
  }

  static void report(Map<String, String> results) throws IOException {
    Set<String> passed = new TreeSet<>();
    Set<String> failed = new TreeSet<>();
    Set<String> skipped = new TreeSet<>();
    results.forEach(
        (name, result) ->
            (switch (result) {
                  case "PASS" -> passed;
                  case "FAIL" -> failed;
                  default -> skipped;
                })
                .add(name));
    List<String> trafficSkipped = new ArrayList<>(skipped);
    trafficSkipped.retainAll(TRAFFIC);
    skipped.removeAll(TRAFFIC);
    String summary =
        "gatewayapi upstream conformance: %d/%d no-traffic tests passed (%d traffic tests skipped, %d for unclaimed features)"
            .formatted(
                passed.size(),
                passed.size() + failed.size(),
                trafficSkipped.size(),
                skipped.size());
    System.out.println(summary);
    System.out.println("  passed: " + String.join(" ", passed));
    System.out.println("  failed: " + String.join(" ", failed));
    System.out.println("  skipped, unclaimed features: " + String.join(" ", skipped));
    Files.writeString(
        OUT.resolve("summary.txt"),
        summary
            + "\npassed: "
            + String.join(" ", passed)
            + "\nfailed: "
            + String.join(" ", failed)
            + "\nskipped (unclaimed features): "
            + String.join(" ", skipped)
            + "\nskipped (traffic): "
            + String.join(" ", trafficSkipped)
            + "\n");
    assertThat(failed).as("upstream conformance tests failed; see " + OUT).isEmpty();
    assertThat(passed).as("no-traffic tests passed").hasSizeGreaterThanOrEqualTo(43);
  }
}
