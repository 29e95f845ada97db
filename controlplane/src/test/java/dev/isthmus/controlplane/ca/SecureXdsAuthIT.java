package dev.isthmus.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.testing.WithKubeApiServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * xDS on the TLS port with the CA plugged in is authenticated and authorized as istiod does with
 * {@code XDS_AUTH}: no credential → {@code UNAUTHENTICATED}; a service-account token of namespace A
 * may only connect proxies of namespace A ({@code PERMISSION_DENIED} otherwise), over SotW and
 * Delta; the plaintext port stays open.
 */
@WithKubeApiServer
class SecureXdsAuthIT {
  static Citadel citadel;
  static ControlPlane cp;
  static String workloadNs;
  static String token;

  @BeforeAll
  static void start(KubernetesClient client) {
    String ns = CaServer.namespace(client, "xds-auth-cp");
    workloadNs = CaServer.namespace(client, "xds-auth-app");
    CaServer.serviceAccount(client, workloadNs, "sleep");
    token = CaServer.token(client, workloadNs, "sleep", "istio-ca");
    citadel = new Citadel(CaConfig.defaults(ns));
    citadel.start(client);
    cp = ControlPlane.start(ControlPlaneConfig.defaults().withEphemeralPorts(), client, citadel);
  }

  @AfterAll
  static void stop() {
    if (cp != null) {
      cp.close();
    }
    if (citadel != null) {
      citadel.close();
    }
  }

  @Test
  void noCredentialIsUnauthenticated() throws Exception {
    Result r = sotw(null, sidecar(workloadNs));
    assertThat(r.error).isNotNull();
    assertThat(Status.fromThrowable(r.error).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(Status.fromThrowable(r.error).getDescription())
        .contains("authentication failure")
        .contains("no client certificate and no authorization header");
  }

  @Test
  void aForgedTokenIsUnauthenticated() throws Exception {
    Result r = sotw("not-a-token", sidecar(workloadNs));
    assertThat(Status.fromThrowable(r.error).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void aTokenOfTheProxysNamespaceGetsConfig() throws Exception {
    Result r = sotw(token, sidecar(workloadNs));
    assertThat(r.error).isNull();
    assertThat(r.response.getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
    assertThat(r.response.getVersionInfo()).isNotEmpty();
  }

  @Test
  void aTokenOfAnotherNamespaceIsDenied() throws Exception {
    Result r = sotw(token, sidecar("someone-else"));
    assertThat(Status.fromThrowable(r.error).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(Status.fromThrowable(r.error).getDescription())
        .contains("spiffe://cluster.local/ns/" + workloadNs + "/sa/sleep")
        .contains("namespace someone-else");
  }

  @Test
  void deltaStreamsAreAuthorizedToo() throws Exception {
    ManagedChannel ch = XdsTestClient.secure(citadel, cp.secureXdsPort(), token);
    try {
      BlockingQueue<Object> in = new LinkedBlockingQueue<>();
      XdsTestClient.delta(ch, in).onNext(deltaClusters(sidecar("someone-else")));
      Object got = in.poll(20, TimeUnit.SECONDS);
      assertThat(got).isInstanceOf(Throwable.class);
      assertThat(Status.fromThrowable((Throwable) got).getCode())
          .isEqualTo(Status.Code.PERMISSION_DENIED);

      BlockingQueue<Object> ok = new LinkedBlockingQueue<>();
      StreamObserver<DeltaDiscoveryRequest> good = XdsTestClient.delta(ch, ok);
      good.onNext(deltaClusters(sidecar(workloadNs)));
      assertThat(ok.poll(20, TimeUnit.SECONDS)).isInstanceOf(DeltaDiscoveryResponse.class);
      good.onCompleted();
    } finally {
      XdsTestClient.close(ch);
    }
  }

  @Test
  void thePlaintextPortIsNotAuthenticated() throws Exception {
    ManagedChannel ch = XdsTestClient.plaintext(cp.xdsPort());
    try {
      BlockingQueue<Object> in = new LinkedBlockingQueue<>();
      StreamObserver<DiscoveryRequest> out = XdsTestClient.sotw(ch, in);
      out.onNext(clusters(sidecar("someone-else")));
      assertThat(in.poll(20, TimeUnit.SECONDS)).isInstanceOf(DiscoveryResponse.class);
      out.onCompleted();
    } finally {
      XdsTestClient.close(ch);
    }
  }

  record Result(DiscoveryResponse response, Throwable error) {}

  private static Result sotw(String bearer, Node node) throws Exception {
    ManagedChannel ch = XdsTestClient.secure(citadel, cp.secureXdsPort(), bearer);
    try {
      BlockingQueue<Object> in = new LinkedBlockingQueue<>();
      StreamObserver<DiscoveryRequest> out = XdsTestClient.sotw(ch, in);
      out.onNext(clusters(node));
      Object got = in.poll(20, TimeUnit.SECONDS);
      assertThat(got).as("an answer or an error").isNotNull();
      if (got instanceof DiscoveryResponse r) {
        out.onCompleted();
        return new Result(r, null);
      }
      return new Result(null, (Throwable) got);
    } finally {
      XdsTestClient.close(ch);
    }
  }

  private static DiscoveryRequest clusters(Node node) {
    return DiscoveryRequest.newBuilder()
        .setNode(node)
        .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
        .build();
  }

  private static DeltaDiscoveryRequest deltaClusters(Node node) {
    return DeltaDiscoveryRequest.newBuilder()
        .setNode(node)
        .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL)
        .build();
  }

  private static Node sidecar(String ns) {
    return Node.newBuilder()
        .setId("sidecar~10.1.0.9~sleep-1." + ns + "~" + ns + ".svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build()))
        .build();
  }
}
