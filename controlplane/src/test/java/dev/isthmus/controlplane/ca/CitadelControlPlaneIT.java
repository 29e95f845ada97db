package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Citadel plugged into the assembled control plane as {@code Istiod} assembles it:
 * CreateCertificate on its TLS xDS port, and the CA's metrics next to Pilot's on {@code /metrics}.
 */
@WithKubeApiServer
class CitadelControlPlaneIT {
  @Test
  void certificateServiceAnswersOnTheSharedTlsPort(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-cp");
    String workload = CaServer.namespace(client, "cp-workload");
    CaServer.serviceAccount(client, workload, "sleep");
    String identity = "spiffe://cluster.local/ns/" + workload + "/sa/sleep";
    IstioPrometheusRegistry prometheus = new IstioPrometheusRegistry();
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns), prometheus.registry())) {
      citadel.start(client);
      try (ControlPlane cp =
          ControlPlane.start(
              ControlPlaneConfig.defaults().withEphemeralPorts(), client, citadel, prometheus)) {
        KeyPair keys = CaFixtures.ec("secp256r1");
        String token = CaServer.token(client, workload, "sleep", "istio-ca");
        // The call verifies the port's certificate against Citadel's root and istiod.<ns>.svc.
        List<X509Certificate> chain =
            CaServer.call(
                    citadel,
                    cp.secureXdsPort(),
                    token,
                    null,
                    null,
                    CaFixtures.spiffeCsr(keys, identity),
                    3600)
                .getCertChainList()
                .stream()
                .map(Pem::certificate)
                .toList();
        assertThat(chain.get(0).getSubjectAlternativeNames()).containsExactly(List.of(6, identity));
        CaFixtures.verifyPkix(chain, citadel.root());

        HttpResponse<String> metrics =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + cp.monitoringPort() + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body().lines())
            .contains(
                "# TYPE citadel_server_csr_count counter",
                "citadel_server_csr_count 1.0",
                "citadel_server_success_cert_issuance_count 1.0",
                "# TYPE pilot_xds gauge",
                "# TYPE pilot_xds_pushes counter");
      }
    }
  }
}
