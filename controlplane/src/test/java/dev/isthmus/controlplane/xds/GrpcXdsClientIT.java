package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlane;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.networking.v1.DestinationRuleBuilder;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.ServiceEntryBuilder;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.xds.XdsNameResolverProvider;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end with a real xDS client: grpc-java's {@code xds:///} resolver, bootstrapped against the
 * control plane's plaintext port, calls two echo servers on 127.0.0.1 and 127.0.0.2 that a
 * ServiceEntry lists as endpoints of {@code echo.xds-it.svc.cluster.local} (Kubernetes rejects
 * loopback addresses in EndpointSlices).
 */
@WithKubeApiServer
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrpcXdsClientIT {
  static final String NS = "xds-it";
  static final String HOST = "echo." + NS + ".svc.cluster.local";
  static final int PORT = 7070;

  static KubernetesClient kube;
  static ControlPlane cp;
  static Server a;
  static Server b;
  static ManagedChannel channel;

  @BeforeAll
  static void start(KubernetesClient client) throws Exception {
    kube = client;
    kube.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
    a = EchoServers.startOn("127.0.0.1", "a");
    b = EchoServers.startOn("127.0.0.2", "b");
    kube.services()
        .inNamespace(NS)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("echo")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("grpc")
                .withPort(PORT)
                .endPort()
                .addToSelector("app", "echo")
                .endSpec()
                .build())
        .serverSideApply();
    kube.resources(ServiceEntry.class)
        .inNamespace(NS)
        .resource(serviceEntry(true))
        .serverSideApply();
    cp =
        ControlPlane.start(
            ControlPlaneConfig.defaults()
                .withEphemeralPorts()
                .withDebounce(Duration.ofMillis(50), Duration.ofSeconds(1)),
            kube);
    Map<String, Object> bootstrap =
        EchoServers.bootstrap(
            cp.xdsPort(),
            "sidecar~127.0.0.1~client." + NS + "~" + NS + ".svc.cluster.local",
            Map.of("GENERATOR", "grpc", "NAMESPACE", NS));
    channel =
        Grpc.newChannelBuilder("xds:///" + HOST + ":" + PORT, InsecureChannelCredentials.create())
            .nameResolverFactory(XdsNameResolverProvider.createForTest("xds", bootstrap))
            .build();
  }

  static ServiceEntry serviceEntry(boolean withB) {
    var spec =
        new ServiceEntryBuilder()
            .withNewMetadata()
            .withName("echo-endpoints")
            .endMetadata()
            .withNewSpec()
            .withHosts(HOST)
            .addNewPort()
            .withName("grpc")
            .withNumber((long) PORT)
            .withProtocol("GRPC")
            .endPort()
            .withResolution(ServiceEntryResolution.STATIC)
            .addNewEndpoint()
            .withAddress("127.0.0.1")
            .withPorts(Map.of("grpc", (long) a.getPort()))
            .withLabels(Map.of("version", "v1"))
            .endEndpoint();
    if (withB) {
      spec =
          spec.addNewEndpoint()
              .withAddress("127.0.0.2")
              .withPorts(Map.of("grpc", (long) b.getPort()))
              .withLabels(Map.of("version", "v2"))
              .endEndpoint();
    }
    return spec.endSpec().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cp != null) {
      cp.close();
    }
    for (Server s : new Server[] {a, b}) {
      if (s != null) {
        s.shutdownNow();
      }
    }
  }

  static Map<String, Integer> calls(int n) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      seen.merge(EchoServers.who(channel), 1, Integer::sum);
    }
    return seen;
  }

  /** Calls in batches until a batch satisfies the condition; the wait is bounded, not asserted. */
  static Map<String, Integer> until(int batch, Predicate<Map<String, Integer>> condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Map<String, Integer> last = Map.of();
    while (System.nanoTime() < deadline) {
      try {
        last = calls(batch);
        if (condition.test(last)) {
          return last;
        }
      } catch (io.grpc.StatusRuntimeException e) {
        last = Map.of("error: " + e.getStatus(), 1);
      }
    }
    return last;
  }

  @Test
  @Order(1)
  void clientReachesBothEndpointsThroughXds() {
    Map<String, Integer> seen = until(100, m -> m.containsKey("a") && m.containsKey("b"));
    assertThat(seen).containsOnlyKeys("a", "b");
    assertThat(seen.get("a") + seen.get("b")).isEqualTo(100);
    assertThat(cp.metrics().pushes("lds")).isPositive();
    assertThat(cp.metrics().pushes("rds")).isPositive();
    assertThat(cp.metrics().pushes("cds")).isPositive();
    assertThat(cp.metrics().pushes("eds")).isPositive();
    assertThat(
            cp.metrics().rejects("lds")
                + cp.metrics().rejects("rds")
                + cp.metrics().rejects("cds")
                + cp.metrics().rejects("eds"))
        .as("grpc-xds accepted every resource")
        .isZero();
  }

  @Test
  @Order(2)
  void virtualServiceSplitsEightyTwenty() {
    kube.resources(io.fabric8.istio.api.networking.v1.DestinationRule.class)
        .inNamespace(NS)
        .resource(
            new DestinationRuleBuilder()
                .withNewMetadata()
                .withName("echo")
                .endMetadata()
                .withNewSpec()
                .withHost("echo")
                .addNewSubset()
                .withName("v1")
                .withLabels(Map.of("version", "v1"))
                .endSubset()
                .addNewSubset()
                .withName("v2")
                .withLabels(Map.of("version", "v2"))
                .endSubset()
                .endSpec()
                .build())
        .serverSideApply();
    applySplit(0, 100);
    // Everything to v2 first: once only "b" answers, subsets and routes are in force.
    assertThat(until(50, m -> m.getOrDefault("b", 0) == 50)).containsOnlyKeys("b");
    applySplit(80, 20);
    // A call reaching "a" shows the 80/20 route replaced the all-v2 route.
    until(20, m -> m.containsKey("a"));

    Map<String, Integer> seen = calls(1000);

    assertThat(seen.getOrDefault("a", 0) + seen.getOrDefault("b", 0)).isEqualTo(1000);
    // Binomial(1000, 0.8): standard deviation 12.6; a 6-sigma band around 800.
    assertThat(seen.getOrDefault("a", 0)).isBetween(720, 880);
  }

  private static void applySplit(int v1, int v2) {
    applyVirtualService(
        "echo",
        "echo",
        new HTTPRouteBuilder()
            .withRoute(Fixtures.to("echo", "v1", v1), Fixtures.to("echo", "v2", v2))
            .build());
  }

  private static void applyVirtualService(String name, String host, HTTPRoute... routes) {
    kube.resources(io.fabric8.istio.api.networking.v1.VirtualService.class)
        .inNamespace(NS)
        .resource(
            new VirtualServiceBuilder()
                .withMetadata(Fixtures.meta(NS, name))
                .withNewSpec()
                .withHosts(host)
                .withHttp(routes)
                .endSpec()
                .build())
        .serverSideApply();
  }

  @Test
  @Order(3)
  void headerMatchRoutesCanaryCallsToTheirSubset() {
    applyVirtualService(
        "echo",
        "echo",
        new HTTPRouteBuilder()
            .withName("canary")
            .addNewMatch()
            .withHeaders(
                Map.of(
                    "x-canary",
                    new io.fabric8.istio.api.api.networking.v1alpha3.StringMatch(
                        new io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact("1"))))
            .endMatch()
            .withRoute(Fixtures.to("echo", "v2"))
            .build(),
        new HTTPRouteBuilder().withRoute(Fixtures.to("echo", "v1")).build());
    io.grpc.Metadata canary = new io.grpc.Metadata();
    canary.put(io.grpc.Metadata.Key.of("x-canary", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "1");
    io.grpc.Channel withHeader =
        io.grpc.ClientInterceptors.intercept(
            channel, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(canary));
    // Plain calls settle on v1 once the new routes are in force.
    assertThat(until(50, m -> m.getOrDefault("a", 0) == 50)).containsOnlyKeys("a");

    Map<String, Integer> canaries = new HashMap<>();
    for (int i = 0; i < 50; i++) {
      canaries.merge(EchoServers.who(withHeader), 1, Integer::sum);
    }
    assertThat(canaries).containsOnlyKeys("b");
    assertThat(calls(50)).containsOnlyKeys("a");
  }

  @Test
  @Order(4)
  void removedEndpointGetsNoMoreTraffic() {
    kube.resources(io.fabric8.istio.api.networking.v1.VirtualService.class)
        .inNamespace(NS)
        .withName("echo")
        .delete();
    assertThat(until(100, m -> m.containsKey("a") && m.containsKey("b"))).containsKeys("a", "b");
    long edsPushesBefore = cp.metrics().edsOnlyPushes() + cp.metrics().fullPushes();

    kube.resources(ServiceEntry.class)
        .inNamespace(NS)
        .resource(serviceEntry(false))
        .serverSideApply();
    until(50, m -> m.getOrDefault("a", 0) == 50);

    assertThat(calls(200)).containsOnlyKeys("a");
    assertThat(cp.metrics().edsOnlyPushes() + cp.metrics().fullPushes())
        .isGreaterThan(edsPushesBefore);
  }

  @Test
  @Order(5)
  void invalidVirtualServiceIsSkippedAndOthersStillApply() {
    applyVirtualService(
        "broken",
        "other",
        new HTTPRouteBuilder().withTimeout("soon").withRoute(Fixtures.to("other", null)).build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cp.pushes().current().rejected().containsKey("VirtualService " + NS + "/broken")
        && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(cp.metrics().rejectedConfigs("VirtualService")).isPositive();
    assertThat(cp.pushes().current().rejected())
        .containsKey("VirtualService " + NS + "/broken")
        .extractingByKey("VirtualService " + NS + "/broken")
        .asString()
        .contains("spec.http[0].timeout");
    assertThat(calls(20)).containsOnlyKeys("a");
  }
}
