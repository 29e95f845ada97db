package dev.isthmus.controlplane.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A Gateway of class {@code istio} on a real API server with the Gateway API CRDs installed (from
 * {@code scripts/gateway-api.sh}): the control plane creates the GatewayClass, deploys the Gateway
 * (ServiceAccount, Deployment, Service owned by it), leaves a user's own object alone, writes
 * nothing more once applied, and removes what it created when the Gateway goes. There is no
 * kubelet: nothing here runs the gateway's pods.
 */
@WithKubeApiServer
class GatewayDeploymentIT {
  static final Duration WAIT = Duration.ofSeconds(60);

  /** The folder of the Gateway API release the tests use ({@code scripts/gateway-api.sh}). */
  static Path release() {
    return Path.of(
        System.getProperty(
            "gatewayapi.dir", System.getProperty("user.home") + "/.isthmus/gateway-api/v1.6.0"));
  }

  static Path crds(String channel) {
    Path dir = release().resolve(channel);
    if (!Files.isDirectory(dir)) {
      org.junit.jupiter.api.Assertions.assertFalse(
          "true".equals(System.getenv("CI")),
          "Gateway API CRDs missing under CI=true: " + dir + " (scripts/gateway-api.sh)");
      assumeTrue(false, dir + " is absent: run scripts/gateway-api.sh");
    }
    return dir;
  }

  /** Installs a channel's CRDs (standard, experimental) and waits until each is Established. */
  static void installCrds(KubernetesClient client, String channel) throws Exception {
    try (Stream<Path> files = Files.list(crds(channel))) {
      for (Path f : files.sorted().toList()) {
        CustomResourceDefinition crd =
            Serialization.unmarshal(Files.readString(f), CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
        await(
            "CRD " + crd.getMetadata().getName() + " Established",
            () -> {
              var live =
                  client
                      .apiextensions()
                      .v1()
                      .customResourceDefinitions()
                      .withName(crd.getMetadata().getName())
                      .get();
              return live.getStatus() != null
                  && live.getStatus().getConditions() != null
                  && live.getStatus().getConditions().stream()
                      .anyMatch(
                          c -> c.getType().equals("Established") && c.getStatus().equals("True"));
            });
      }
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  /** Creates a Service {@code name} of the pods {@code app=echo}, port {@code http} 8080. */
  static void echoService(KubernetesClient client, String ns, String name) {
    client
        .services()
        .inNamespace(ns)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .addToSelector("app", "echo")
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .endPort()
                .endSpec()
                .build())
        .create();
  }

  /** Waits for the GatewayClass {@code istio} and the injector's gateway template. */
  static void awaitController(KubernetesClient client, Istiod istiod) throws InterruptedException {
    await(
        "GatewayClass istio",
        () ->
            client
                    .genericKubernetesResources(GatewayDeploymentController.CLASSES)
                    .withName("istio")
                    .get()
                != null);
    await(
        "the injector configuration",
        () -> istiod.webhooks().injectionConfig().templates().containsKey("kube-gateway"));
  }

  static GenericKubernetesResource gateway(KubernetesClient client, String ns, String name) {
    return client
        .genericKubernetesResources(GatewayDeploymentController.GATEWAYS)
        .inNamespace(ns)
        .withName(name)
        .get();
  }

  static Map<String, String> versions(KubernetesClient client, String ns, String name) {
    Map<String, String> out = new TreeMap<>();
    for (HasMetadata o :
        List.<HasMetadata>of(
            client.serviceAccounts().inNamespace(ns).withName(name).get(),
            client.apps().deployments().inNamespace(ns).withName(name).get(),
            client.services().inNamespace(ns).withName(name).get())) {
      out.put(o.getKind(), o.getMetadata().getResourceVersion());
    }
    return out;
  }

  static GenericKubernetesResource route(KubernetesClient client, String ns, String name) {
    return client
        .genericKubernetesResources("gateway.networking.k8s.io/v1", "HTTPRoute")
        .inNamespace(ns)
        .withName(name)
        .get();
  }

  /** The status of a condition of the object (a route's first parent's), or "" when absent. */
  static String condition(GenericKubernetesResource o, String type) {
    com.fasterxml.jackson.databind.JsonNode status =
        Serialization.jsonMapper().valueToTree(o).path("status");
    com.fasterxml.jackson.databind.JsonNode conditions =
        status.has("parents")
            ? status.path("parents").path(0).path("conditions")
            : status.path("conditions");
    for (var c : conditions) {
      if (c.path("type").asText().equals(type)) {
        return c.path("status").asText();
      }
    }
    return "";
  }

  /** The RDS of port 80 as a gateway proxy of Gateway "web" receives it, in text form. */
  static String routes(int xdsPort, String ns) throws Exception {
    return routes(
        xdsPort,
        "router~10.9.9.9~web-istio-1." + ns + "~" + ns + ".svc.cluster.local",
        ns,
        Map.of("gateway.networking.k8s.io/gateway-name", "web"),
        "http.80");
  }

  /** One RDS resource as the proxy {@code nodeId} (with these labels) receives it, as text. */
  static String routes(
      int xdsPort, String nodeId, String ns, Map<String, String> proxyLabels, String routeName)
      throws Exception {
    var channel =
        io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", xdsPort).usePlaintext().build();
    try {
      var responses =
          new java.util.concurrent.LinkedBlockingQueue<
              io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse>();
      var in =
          new io.grpc.stub.StreamObserver<
              io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse>() {
            @Override
            public void onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse r) {
              responses.add(r);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          };
      var labels = com.google.protobuf.Struct.newBuilder();
      proxyLabels.forEach(
          (k, v) ->
              labels.putFields(
                  k, com.google.protobuf.Value.newBuilder().setStringValue(v).build()));
      var node =
          io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
              .setId(nodeId)
              .setMetadata(
                  com.google.protobuf.Struct.newBuilder()
                      .putFields(
                          "LABELS",
                          com.google.protobuf.Value.newBuilder().setStructValue(labels).build())
                      .putFields(
                          "NAMESPACE",
                          com.google.protobuf.Value.newBuilder().setStringValue(ns).build()));
      var out =
          io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc.newStub(channel)
              .streamAggregatedResources(in);
      out.onNext(
          io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl("type.googleapis.com/envoy.config.route.v3.RouteConfiguration")
              .addResourceNames(routeName)
              .build());
      var r = responses.poll(30, java.util.concurrent.TimeUnit.SECONDS);
      out.onCompleted();
      assertThat(r).as("an RDS response").isNotNull();
      StringBuilder json = new StringBuilder();
      for (var any : r.getResourcesList()) {
        json.append(any.unpack(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.class));
      }
      return json.toString();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aGatewayIsDeployedOwnedAndRemovedWithIt(KubernetesClient client) throws Exception {
    installCrds(client, "standard");
    String run = UUID.randomUUID().toString().substring(0, 8);
    String system = "gw-system-" + run;
    String app = "gw-app-" + run;
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(app).endMetadata().build())
        .create();
    GatewayApiUpstreamConformanceIT.installMeshConfig(client, system);
    // a user's own Service with the name the controller would use for Gateway "mine"
    client
        .services()
        .inNamespace(app)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("mine-istio")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withPort(80)
                .endPort()
                .endSpec()
                .build())
        .create();

    try (Istiod istiod =
        Istiod.start(
            ControlPlaneConfig.defaults().withEphemeralPorts().withNamespace(system), 0, client)) {
      awaitController(client, istiod);
      for (String name : List.of("web", "mine")) {
        client
            .genericKubernetesResources(GatewayDeploymentController.GATEWAYS)
            .inNamespace(app)
            .resource(
                Serialization.unmarshal(
                    """
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: Gateway
                    metadata: {name: %s}
                    spec:
                      gatewayClassName: istio
                      listeners:
                      - {name: http, port: 80, protocol: HTTP}
                      - {name: tcp, port: 9000, protocol: TCP}
                    """
                        .formatted(name),
                    GenericKubernetesResource.class))
            .create();
      }
      String uid = gateway(client, app, "web").getMetadata().getUid();
      await(
          "web-istio Deployment, Service and ServiceAccount",
          () ->
              client.apps().deployments().inNamespace(app).withName("web-istio").get() != null
                  && client.services().inNamespace(app).withName("web-istio").get() != null
                  && client.serviceAccounts().inNamespace(app).withName("web-istio").get() != null);
      var deployment = client.apps().deployments().inNamespace(app).withName("web-istio").get();
      assertThat(deployment.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.getKind()).isEqualTo("Gateway");
                assertThat(r.getUid()).isEqualTo(uid);
              });
      assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getName())
          .isEqualTo("istio-proxy");
      assertThat(
              client.services().inNamespace(app).withName("web-istio").get().getSpec().getPorts())
          .extracting(p -> p.getName() + ":" + p.getPort())
          .containsExactly("status-port:15021", "http:80", "tcp:9000");
      await(
          "the Gateway annotated with the controller version",
          () ->
              "5"
                  .equals(
                      gateway(client, app, "web")
                          .getMetadata()
                          .getAnnotations()
                          .get("gateway.istio.io/controller-version")));

      // the user's Service stays theirs; the rest of "mine" is deployed
      await(
          "mine-istio Deployment",
          () -> client.apps().deployments().inNamespace(app).withName("mine-istio").get() != null);
      var mine = client.services().inNamespace(app).withName("mine-istio").get();
      assertThat(mine.getMetadata().getLabels()).isNullOrEmpty();
      assertThat(mine.getSpec().getPorts()).hasSize(1);

      // a route to a backend Service, bound to the Gateway
      echoService(client, app, "echo");
      client
          .genericKubernetesResources("gateway.networking.k8s.io/v1", "HTTPRoute")
          .inNamespace(app)
          .resource(
              Serialization.unmarshal(
                  """
                  apiVersion: gateway.networking.k8s.io/v1
                  kind: HTTPRoute
                  metadata: {name: echo}
                  spec:
                    parentRefs: [{name: web}]
                    hostnames: [echo.example.com]
                    rules:
                    - matches: [{path: {type: PathPrefix, value: /api}}]
                      backendRefs: [{name: echo, port: 8080}]
                  """,
                  GenericKubernetesResource.class))
          .create();
      await(
          "the HTTPRoute Accepted by its parent",
          () -> condition(route(client, app, "echo"), "Accepted").equals("True"));
      await(
          "the Gateway Accepted",
          () -> condition(gateway(client, app, "web"), "Accepted").equals("True"));
      assertThat(condition(gateway(client, app, "web"), "Programmed"))
          .as("no address yet: the load balancer has not assigned one")
          .isEqualTo("False");
      // no load-balancer controller here: the test plays it and assigns the Service an address
      var lb = client.services().inNamespace(app).withName("web-istio").get();
      lb.setStatus(
          new io.fabric8.kubernetes.api.model.ServiceStatusBuilder()
              .withNewLoadBalancer()
              .addNewIngress()
              .withIp("192.0.2.10")
              .endIngress()
              .endLoadBalancer()
              .build());
      client.services().inNamespace(app).resource(lb).updateStatus();
      await(
          "the Gateway Programmed with the address",
          () ->
              condition(gateway(client, app, "web"), "Programmed").equals("True")
                  && Serialization.asJson(gateway(client, app, "web")).contains("192.0.2.10"));
      // a gateway proxy of the deployment gets the route
      String routes = routes(istiod.pilot().xdsPort(), app);
      assertThat(routes).contains("echo.example.com").contains("/api");
      assertThat(routes).contains("outbound|8080||echo." + app + ".svc.cluster.local");

      // applied once: nothing is written again while nothing changes
      Map<String, String> settled = versions(client, app, "web-istio");
      Thread.sleep(2_000);
      assertThat(versions(client, app, "web-istio")).isEqualTo(settled);

      client
          .genericKubernetesResources(GatewayDeploymentController.GATEWAYS)
          .inNamespace(app)
          .withName("web")
          .delete();
      await(
          "web-istio removed with its Gateway",
          () ->
              client.apps().deployments().inNamespace(app).withName("web-istio").get() == null
                  && client.services().inNamespace(app).withName("web-istio").get() == null
                  && client.serviceAccounts().inNamespace(app).withName("web-istio").get() == null);
      assertThat(client.services().inNamespace(app).withName("mine-istio").get()).isNotNull();
    }
  }
}
