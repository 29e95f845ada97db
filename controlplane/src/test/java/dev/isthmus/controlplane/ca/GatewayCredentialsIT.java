package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.testing.WithKubeApiServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose Gateway server names {@code credentialName} gets the Secret's certificate over
 * SDS on its ADS stream, as from istiod: the listener points at {@code kubernetes://<name>} with an
 * ADS config source, the authenticated gateway receives the Secret, a change of the Secret is
 * pushed, and the plaintext port serves no credentials.
 */
@WithKubeApiServer
class GatewayCredentialsIT {
  static final String CRED = CredentialFixtures.CRED;

  @Test
  void theAuthenticatedGatewayGetsItsCredentialAndItsUpdates(KubernetesClient client)
      throws Exception {
    String ns = CaServer.namespace(client, "sds-cp");
    String gwNs = CaServer.namespace(client, "sds-gw");
    CaServer.serviceAccount(client, gwNs, "ingress");
    CaServer.serviceAccount(client, gwNs, "app");
    // as the gateway charts do: the gateway's service account may read its namespace's Secrets
    CredentialFixtures.secretReader(client, gwNs, "ingress");
    client.resource(CredentialFixtures.secret(gwNs, "CERT-1")).create();
    client.resource(CredentialFixtures.gateway(gwNs)).create();
    String token = CaServer.token(client, gwNs, "ingress", "istio-ca");
    try (Citadel citadel = new Citadel(CaConfig.defaults(ns))) {
      citadel.start(client);
      try (ControlPlane cp = XdsTestClient.controlPlane(client, citadel)) {
        CaServer.await(
            "the Gateway in the mesh model", () -> !cp.pushes().current().gateways().isEmpty());
        ManagedChannel secure = XdsTestClient.secure(citadel, cp.secureXdsPort(), token);
        try {
          BlockingQueue<Object> in = new LinkedBlockingQueue<>();
          StreamObserver<DiscoveryRequest> out = XdsTestClient.sotw(secure, in);
          out.onNext(
              request(CredentialFixtures.router(gwNs, gwNs), Resources.V3.LISTENER_TYPE_URL)
                  .build());
          DiscoveryResponse lds = next(in);
          Listener https = null;
          for (var any : lds.getResourcesList()) {
            Listener l = any.unpack(Listener.class);
            if (l.getName().equals("0.0.0.0_443")) {
              https = l;
            }
          }
          assertThat(https).as("the gateway's 443 listener").isNotNull();
          var sds =
              https
                  .getFilterChains(0)
                  .getTransportSocket()
                  .getTypedConfig()
                  .unpack(DownstreamTlsContext.class)
                  .getCommonTlsContext()
                  .getTlsCertificateSdsSecretConfigs(0);
          assertThat(sds.getName()).isEqualTo(CRED);
          assertThat(sds.getSdsConfig().hasAds()).as("fetched over ADS").isTrue();

          out.onNext(request(null, Resources.V3.SECRET_TYPE_URL).addResourceNames(CRED).build());
          DiscoveryResponse first = next(in);
          assertThat(first.getTypeUrl()).isEqualTo(Resources.V3.SECRET_TYPE_URL);
          assertThat(CredentialFixtures.certificate(first)).isEqualTo("CERT-1");

          out.onNext(
              request(null, Resources.V3.SECRET_TYPE_URL)
                  .addResourceNames(CRED)
                  .setVersionInfo(first.getVersionInfo())
                  .setResponseNonce(first.getNonce())
                  .build());
          client.resource(CredentialFixtures.secret(gwNs, "CERT-2")).update();
          DiscoveryResponse rotated = next(in);
          assertThat(CredentialFixtures.certificate(rotated))
              .as("the rotated Secret is pushed")
              .isEqualTo("CERT-2");
          out.onCompleted();
        } finally {
          XdsTestClient.close(secure);
        }

        // a workload of the same namespace whose service account may not read Secrets gets none
        String appToken = CaServer.token(client, gwNs, "app", "istio-ca");
        ManagedChannel app = XdsTestClient.secure(citadel, cp.secureXdsPort(), appToken);
        try {
          BlockingQueue<Object> in = new LinkedBlockingQueue<>();
          StreamObserver<DiscoveryRequest> out = XdsTestClient.sotw(app, in);
          out.onNext(
              request(
                      CredentialFixtures.router(gwNs, gwNs).toBuilder()
                          .setId(
                              "router~10.1.0.51~gw-2." + gwNs + "~" + gwNs + ".svc.cluster.local")
                          .build(),
                      Resources.V3.SECRET_TYPE_URL)
                  .addResourceNames(CRED)
                  .build());
          Object got = in.poll(3, TimeUnit.SECONDS);
          assertThat(got).as("no error: the stream is authorized").isNotInstanceOf(Throwable.class);
          if (got instanceof DiscoveryResponse r) {
            assertThat(r.getResourcesList()).as("no credentials without Secret access").isEmpty();
          }
          out.onCompleted();
        } finally {
          XdsTestClient.close(app);
        }

        ManagedChannel plain = XdsTestClient.plaintext(cp.xdsPort());
        try {
          BlockingQueue<Object> in = new LinkedBlockingQueue<>();
          StreamObserver<DiscoveryRequest> out = XdsTestClient.sotw(plain, in);
          out.onNext(
              request(CredentialFixtures.router(gwNs, gwNs), Resources.V3.SECRET_TYPE_URL)
                  .addResourceNames(CRED)
                  .build());
          Object got = in.poll(3, TimeUnit.SECONDS);
          if (got instanceof DiscoveryResponse r) {
            assertThat(r.getResourcesList()).as("no credentials over plaintext").isEmpty();
          }
          out.onCompleted();
        } finally {
          XdsTestClient.close(plain);
        }
      }
    }
  }

  private static DiscoveryRequest.Builder request(Node node, String type) {
    DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder().setTypeUrl(type);
    if (node != null) {
      b.setNode(node);
    }
    return b;
  }

  private static DiscoveryResponse next(BlockingQueue<Object> in) throws Exception {
    Object got = in.poll(20, TimeUnit.SECONDS);
    assertThat(got).as("a response").isInstanceOf(DiscoveryResponse.class);
    return (DiscoveryResponse) got;
  }
}
