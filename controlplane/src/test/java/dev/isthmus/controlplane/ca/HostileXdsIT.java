package dev.isthmus.controlplane.ca;

import static dev.isthmus.controlplane.ca.CredentialFixtures.certificate;
import static dev.isthmus.controlplane.ca.CredentialFixtures.gateway;
import static dev.isthmus.controlplane.ca.CredentialFixtures.router;
import static dev.isthmus.controlplane.ca.CredentialFixtures.secret;
import static dev.isthmus.controlplane.ca.CredentialFixtures.secretReader;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.testing.WithKubeApiServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Hostile xDS clients against a gateway's credentials: per-stream state and a node pinned by a
 * stream's first request. A gateway holds its {@code credentialName} Secret over SDS; other callers
 * reuse its node id (listed by {@code /debug/adsz}) on the plaintext port and, authenticated as
 * another namespace, on the TLS port, and must receive none of it, nor disturb the gateway's own
 * stream.
 */
@WithKubeApiServer
@Tag("hostile")
class HostileXdsIT {
  static final String CRED = CredentialFixtures.CRED;

  @Test
  void noStreamReadsAnotherStreamsCredentials(KubernetesClient client) throws Exception {
    String ns = CaServer.namespace(client, "hx-cp");
    String gwNs = CaServer.namespace(client, "hx-gw");
    String evilNs = CaServer.namespace(client, "hx-evil");
    CaServer.serviceAccount(client, gwNs, "ingress");
    CaServer.serviceAccount(client, evilNs, "app");
    secretReader(client, gwNs, "ingress");
    // the attacker's service account may read Secrets, of its own namespace only
    secretReader(client, evilNs, "app");
    client.resource(secret(gwNs, "CERT-1")).create();
    client.resource(gateway(gwNs)).create();
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns))) {
      citadel.start(client);
      try (ControlPlane cp = XdsTestClient.controlPlane(client, citadel)) {
        CaServer.await(
            "the Gateway in the mesh model", () -> !cp.pushes().current().gateways().isEmpty());
        ManagedChannel gwChannel =
            XdsTestClient.secure(
                citadel, cp.secureXdsPort(), CaServer.token(client, gwNs, "ingress", "istio-ca"));
        ManagedChannel evilChannel =
            XdsTestClient.secure(
                citadel, cp.secureXdsPort(), CaServer.token(client, evilNs, "app", "istio-ca"));
        ManagedChannel plain = XdsTestClient.plaintext(cp.xdsPort());
        try {
          // the real gateway, authenticated, holds its credential
          BlockingQueue<Object> gwIn = new LinkedBlockingQueue<>();
          StreamObserver<DiscoveryRequest> gw = XdsTestClient.sotw(gwChannel, gwIn);
          gw.onNext(sds(router(gwNs, gwNs)).build());
          DiscoveryResponse first = response(gwIn);
          assertThat(certificate(first)).isEqualTo("CERT-1");

          // plaintext: a stream opened as a sidecar may not switch to the gateway's node id
          BlockingQueue<Object> in = new LinkedBlockingQueue<>();
          StreamObserver<DiscoveryRequest> out = XdsTestClient.sotw(plain, in);
          out.onNext(
              DiscoveryRequest.newBuilder()
                  .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
                  .setNode(sidecar(evilNs))
                  .build());
          assertThat(response(in).getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
          out.onNext(sds(router(gwNs, gwNs)).build());
          Object ended = in.poll(10, TimeUnit.SECONDS);
          assertThat(ended)
              .as("a request naming another node ends the stream, it is not answered")
              .isInstanceOf(Throwable.class);
          assertThat(Status.fromThrowable((Throwable) ended).getCode())
              .isEqualTo(Status.Code.INVALID_ARGUMENT);

          // plaintext: a stream opened with the gateway's own node id gets no credentials
          in = new LinkedBlockingQueue<>();
          out = XdsTestClient.sotw(plain, in);
          out.onNext(sds(router(gwNs, gwNs)).build());
          DiscoveryResponse plainSds = response(in);
          assertThat(plainSds.getResourcesList()).as("no SDS on the plaintext port").isEmpty();
          out.onCompleted();

          // TLS: a caller of another namespace reusing the gateway's node id gets only its own view
          in = new LinkedBlockingQueue<>();
          out = XdsTestClient.sotw(evilChannel, in);
          out.onNext(sds(router(gwNs, evilNs)).build());
          Object evil = in.poll(10, TimeUnit.SECONDS);
          assertThat(evil).as("the stream is authorized for its own namespace").isNotNull();
          assertThat(evil).isInstanceOf(DiscoveryResponse.class);
          assertThat(((DiscoveryResponse) evil).getResourcesList())
              .as("the gateway's credential is not served to another namespace's stream")
              .isEmpty();
          out.onCompleted();

          // the gateway's own stream is intact: a rotation still reaches it, and only it
          gw.onNext(
              sds(null)
                  .setVersionInfo(first.getVersionInfo())
                  .setResponseNonce(first.getNonce())
                  .build());
          client.resource(secret(gwNs, "CERT-2")).update();
          assertThat(certificate(response(gwIn))).isEqualTo("CERT-2");
          gw.onCompleted();
        } finally {
          XdsTestClient.close(gwChannel, evilChannel, plain);
        }
      }
    }
  }

  private static DiscoveryRequest.Builder sds(Node node) {
    DiscoveryRequest.Builder b =
        DiscoveryRequest.newBuilder()
            .setTypeUrl(Resources.V3.SECRET_TYPE_URL)
            .addResourceNames(CRED);
    return node == null ? b : b.setNode(node);
  }

  private static Node sidecar(String ns) {
    return Node.newBuilder()
        .setId("sidecar~10.1.0.60~app-1." + ns + "~" + ns + ".svc.cluster.local")
        .build();
  }

  private static DiscoveryResponse response(BlockingQueue<Object> in) throws Exception {
    Object got = in.poll(20, TimeUnit.SECONDS);
    assertThat(got).as("a response").isInstanceOf(DiscoveryResponse.class);
    return (DiscoveryResponse) got;
  }
}
