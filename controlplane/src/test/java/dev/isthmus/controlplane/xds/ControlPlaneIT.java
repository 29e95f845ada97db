package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.SecureServing;
import dev.isthmus.controlplane.ServingKeyMaterial;
import dev.isthmus.controlplane.server.DynamicKeyManager;
import dev.isthmus.controlplane.server.SelfSignedMaterial;
import dev.isthmus.testing.WithKubeApiServer;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

/**
 * The assembled control plane against the real API server: EndpointSlice discovery to Delta EDS
 * (documentation addresses, never dialled), the TLS port with a plugged-in serving certificate and
 * extra service, metrics, debug endpoints and readiness.
 */
@WithKubeApiServer
class ControlPlaneIT {
  static final String NS = "cp-it";
  static final String CLUSTER = "outbound|9080||reviews." + NS + ".svc.cluster.local";

  static String get(int port, String path) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }

  @Test
  void endpointSliceChangesReachDeltaClientsAsEdsOnlyPushes(KubernetesClient kube)
      throws Exception {
    kube.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
    var svc = Fixtures.service(NS, "reviews", "http", 9080, 9080);
    svc.getSpec().setClusterIP(null);
    kube.services().inNamespace(NS).resource(svc).serverSideApply();
    EndpointSlice slice =
        Fixtures.slice(
            NS,
            "reviews",
            "http",
            9080,
            new Fixtures.Ep("10.1.0.1", "r1", true, true, false, "zone-a", "node-a"),
            new Fixtures.Ep("10.1.0.2", "r2", true, true, false, "zone-b", "node-b"));
    kube.resource(slice).serverSideApply();

    try (ControlPlane cp =
        ControlPlane.start(
            ControlPlaneConfig.defaults()
                .withEphemeralPorts()
                .withDebounce(Duration.ofMillis(20), Duration.ofMillis(500)),
            kube)) {
      ManagedChannel ch =
          Grpc.newChannelBuilder("127.0.0.1:" + cp.xdsPort(), InsecureChannelCredentials.create())
              .build();
      try {
        AdsProtocolTest.Inbox<DeltaDiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
        Node pp =
            Fixtures.node("sidecar~10.1.0.9~pp." + NS + "~" + NS + ".svc.cluster.local", Map.of());
        StreamObserver<DeltaDiscoveryRequest> out =
            AdsProtocolTest.openDelta(ch, in, pp, Resources.V3.ENDPOINT_TYPE_URL, CLUSTER);
        DeltaDiscoveryResponse first = in.next();
        assertThat(addresses(first)).containsExactly("10.1.0.1", "10.1.0.2");
        out.onNext(
            DeltaDiscoveryRequest.newBuilder()
                .setTypeUrl(Resources.V3.ENDPOINT_TYPE_URL)
                .setResponseNonce(first.getNonce())
                .build());
        // let pushes triggered by the informers' initial sync finish (longer than the max
        // debounce), so the slice
        // change below is not merged into one of them
        long settled = -1;
        while (cp.pushes().pushCount() != settled) {
          settled = cp.pushes().pushCount();
          Thread.sleep(700);
        }
        long fullBefore = cp.metrics().fullPushes();

        slice.getEndpoints().get(1).getConditions().setReady(false);
        slice.getEndpoints().get(1).getConditions().setServing(false);
        kube.resource(slice).serverSideApply();

        DeltaDiscoveryResponse update = in.next();
        assertThat(update.getTypeUrl()).isEqualTo(Resources.V3.ENDPOINT_TYPE_URL);
        assertThat(addresses(update)).containsExactly("10.1.0.1");
        // the push is counted once it finished, which can be just after its response left
        for (int i = 0; i < 50 && cp.metrics().edsOnlyPushes() == 0; i++) {
          Thread.sleep(100);
        }
        assertThat(cp.metrics().edsOnlyPushes()).isPositive();
        assertThat(cp.metrics().fullPushes()).isEqualTo(fullBefore);

        JsonNode syncz = new ObjectMapper().readTree(get(cp.monitoringPort(), "/debug/syncz"));
        assertThat(syncz.get(0).get("proxy").asText()).startsWith("sidecar~10.1.0.9~pp." + NS);
        assertThat(syncz.get(0).get("types").get("eds").get("sent").asText()).isNotEmpty();
        JsonNode adsz = new ObjectMapper().readTree(get(cp.monitoringPort(), "/debug/adsz"));
        assertThat(adsz.get("totalClients").asInt()).isEqualTo(1);
        assertThat(adsz.get("clients").get(0).get("protocol").asText()).isEqualTo("delta");
        JsonNode configz = new ObjectMapper().readTree(get(cp.monitoringPort(), "/debug/configz"));
        assertThat(configz.get("services").toString())
            .contains("reviews." + NS + ".svc.cluster.local");
        String metrics = get(cp.monitoringPort(), "/metrics");
        assertThat(metrics)
            .contains("pilot_xds 1")
            .contains("pilot_xds_pushes{type=\"eds\"}")
            .contains("# TYPE pilot_proxy_convergence_time histogram")
            .contains("# TYPE pilot_xds_push_time histogram")
            .contains("# TYPE pilot_total_xds_rejects counter");
        assertThat(get(cp.readinessPort(), "/ready")).contains("ready");
        out.onCompleted();
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static List<String> addresses(DeltaDiscoveryResponse r) throws Exception {
    return r
        .getResources(0)
        .getResource()
        .unpack(ClusterLoadAssignment.class)
        .getEndpointsList()
        .stream()
        .flatMap(l -> l.getLbEndpointsList().stream())
        .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress())
        .sorted()
        .toList();
  }

  static java.io.InputStream pem(java.security.cert.X509Certificate cert) throws Exception {
    String b64 =
        java.util.Base64.getMimeEncoder(
                64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(cert.getEncoded());
    String pem = "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n";
    return new java.io.ByteArrayInputStream(
        pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  @Test
  void tlsPortServesXdsAndPluggedServicesWithSuppliedCertificate(KubernetesClient kube)
      throws Exception {
    ServingKeyMaterial material = new SelfSignedMaterial("istio-system", "default");
    ServingKeyMaterial workload = new SelfSignedMaterial("workload-ns", "default");
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("isthmus.test.Ca", HealthCheckResponse.ServingStatus.SERVING);
    AtomicReference<String> peer = new AtomicReference<>("");
    ServerInterceptor capturePeer =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            SSLSession ssl = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            try {
              peer.set(
                  ((X509Certificate) ssl.getPeerCertificates()[0])
                      .getSubjectX500Principal()
                      .getName());
            } catch (SSLPeerUnverifiedException e) {
              peer.set("none");
            }
            return next.startCall(call, headers);
          }
        };
    SecureServing secure =
        new SecureServing() {
          @Override
          public List<BindableService> services() {
            ServerServiceDefinition def =
                ServerInterceptors.intercept(health.getHealthService(), capturePeer);
            return List.of(() -> def);
          }

          @Override
          public Optional<ServingKeyMaterial> keyMaterial() {
            return Optional.of(material);
          }

          @Override
          public List<X509Certificate> clientCertificateRoots() {
            return workload.certificateChain();
          }
        };
    try (ControlPlane cp =
        ControlPlane.start(ControlPlaneConfig.defaults().withEphemeralPorts(), kube, secure)) {
      ManagedChannel ch =
          Grpc.newChannelBuilder(
                  "localhost:" + cp.secureXdsPort(),
                  TlsChannelCredentials.newBuilder()
                      .trustManager(pem(material.certificateChain().get(0)))
                      .keyManager(new DynamicKeyManager(workload))
                      .build())
              .build();
      try {
        assertThat(
                HealthGrpc.newBlockingStub(ch)
                    .check(HealthCheckRequest.newBuilder().setService("isthmus.test.Ca").build())
                    .getStatus())
            .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(peer.get())
            .as("the plugged service sees the client certificate")
            .isEqualTo(workload.certificateChain().get(0).getSubjectX500Principal().getName());

        AdsProtocolTest.Inbox<DiscoveryResponse> in = new AdsProtocolTest.Inbox<>();
        Node gateway =
            Fixtures.node(
                "router~10.1.0.50~gw.istio-system~istio-system.svc.cluster.local", Map.of());
        StreamObserver<DiscoveryRequest> out =
            AdsProtocolTest.openSotw(ch, in, gateway, Resources.V3.CLUSTER_TYPE_URL);
        DiscoveryResponse cds = in.next();
        assertThat(cds.getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
        assertThat(cds.getVersionInfo()).isNotEmpty();
        out.onCompleted();
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
