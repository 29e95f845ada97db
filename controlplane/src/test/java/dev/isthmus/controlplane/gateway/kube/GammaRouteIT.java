package dev.isthmus.controlplane.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * GAMMA on a real API server: an HTTPRoute whose parent is a Service routes the mesh's traffic to
 * that Service; a sidecar's outbound RDS for the port carries the route (to the other backend for
 * {@code /v2}), the route's parent status says Accepted, and deleting the route removes it.
 */
@WithKubeApiServer
class GammaRouteIT {
  static String sidecarRoutes(Istiod istiod, String ns) throws Exception {
    return GatewayDeploymentIT.routes(
        istiod.pilot().xdsPort(),
        "sidecar~10.20.0.5~client-1." + ns + "~" + ns + ".svc.cluster.local",
        ns,
        Map.of("app", "client"),
        "8080");
  }

  @Test
  void anHttpRouteWithAServiceParentRoutesTheMesh(KubernetesClient client) throws Exception {
    GatewayDeploymentIT.installCrds(client, "standard");
    String run = UUID.randomUUID().toString().substring(0, 8);
    String system = "gamma-system-" + run;
    String app = "gamma-app-" + run;
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(app).endMetadata().build())
        .create();
    GatewayApiUpstreamConformanceIT.installMeshConfig(client, system);
    GatewayDeploymentIT.echoService(client, app, "echo");
    GatewayDeploymentIT.echoService(client, app, "echo-v2");
    try (Istiod istiod =
        Istiod.start(
            ControlPlaneConfig.defaults().withEphemeralPorts().withNamespace(system), 0, client)) {
      var routes =
          client
              .genericKubernetesResources("gateway.networking.k8s.io/v1", "HTTPRoute")
              .inNamespace(app);
      routes
          .resource(
              Serialization.unmarshal(
                  """
                  apiVersion: gateway.networking.k8s.io/v1
                  kind: HTTPRoute
                  metadata: {name: echo-split}
                  spec:
                    parentRefs: [{group: "", kind: Service, name: echo, port: 8080}]
                    rules:
                    - matches: [{path: {type: PathPrefix, value: /v2}}]
                      backendRefs: [{name: echo-v2, port: 8080}]
                    - backendRefs: [{name: echo, port: 8080}]
                  """,
                  GenericKubernetesResource.class))
          .create();
      GatewayDeploymentIT.await(
          "the HTTPRoute Accepted by its Service parent",
          () ->
              GatewayDeploymentIT.condition(
                      GatewayDeploymentIT.route(client, app, "echo-split"), "Accepted")
                  .equals("True"));
      String echo = "echo." + app + ".svc.cluster.local";
      String v2 = "outbound|8080||echo-v2." + app + ".svc.cluster.local";
      GatewayDeploymentIT.await(
          "the sidecar's RDS for 8080 routes /v2 to echo-v2",
          () -> {
            try {
              String rds = sidecarRoutes(istiod, app);
              return rds.contains(echo) && rds.contains(v2) && rds.contains("/v2");
            } catch (Exception e) {
              return false;
            }
          });
      assertThat(Serialization.asJson(GatewayDeploymentIT.route(client, app, "echo-split")))
          .contains("\"kind\":\"Service\"")
          .contains("istio.io/gateway-controller");

      routes.withName("echo-split").delete();
      GatewayDeploymentIT.await(
          "the route gone from the sidecar's RDS",
          () -> {
            try {
              // echo-v2 keeps its own virtual host; the /v2 match on echo's is gone
              return !sidecarRoutes(istiod, app).contains("/v2");
            } catch (Exception e) {
              return false;
            }
          });
    }
  }
}
