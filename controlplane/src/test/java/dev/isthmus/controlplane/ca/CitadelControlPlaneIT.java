package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Citadel plugged into the assembled control plane: CreateCertificate on its TLS xDS port. */
@WithKubeApiServer
class CitadelControlPlaneIT {
  @Test
  void certificateServiceAnswersOnTheSharedTlsPort(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "ca-cp");
    String workload = CaServer.namespace(client, "cp-workload");
    CaServer.serviceAccount(client, workload, "sleep");
    String identity = "spiffe://cluster.local/ns/" + workload + "/sa/sleep";
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns))) {
      citadel.start(client);
      try (ControlPlane cp =
          ControlPlane.start(ControlPlaneConfig.defaults().withEphemeralPorts(), client, citadel)) {
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
      }
    }
  }
}
