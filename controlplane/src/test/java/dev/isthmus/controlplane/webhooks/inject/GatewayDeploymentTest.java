package dev.isthmus.controlplane.webhooks.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The automated deployment of a Gateway, rendered from Istio's own {@code kube-gateway} template
 * (the default profile's injector ConfigMap from the conformance corpus): what Istio's deployment
 * controller writes for the same Gateway.
 */
class GatewayDeploymentTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final GatewayDeployment.Settings SETTINGS =
      new GatewayDeployment.Settings("Kubernetes", "default", 134);

  static JsonNode gateway(String yaml) {
    return JSON.valueToTree(Serialization.unmarshal(yaml, Object.class));
  }

  static final String SIMPLE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: web
        namespace: apps
        uid: 1234-abcd
        labels: {team: edge}
        annotations: {note: kept}
      spec:
        gatewayClassName: istio
        listeners:
        - {name: http, port: 80, protocol: HTTP}
        - {name: https.example.com, port: 443, protocol: HTTPS}
        - {name: again, port: 80, protocol: HTTP}
      """;

  static Map<String, ObjectNode> byKind(List<ObjectNode> objects) {
    Map<String, ObjectNode> m = new java.util.LinkedHashMap<>();
    objects.forEach(o -> m.put(o.path("kind").asText(), o));
    return m;
  }

  @Test
  void aGatewayGetsAServiceAccountDeploymentAndServiceNamedAfterItAndItsClass() throws Exception {
    List<ObjectNode> out =
        GatewayDeployment.render(
            IstioTemplatesTest.istioConfig(), gateway(SIMPLE), List.of(), SETTINGS);
    Map<String, ObjectNode> k = byKind(out);
    assertThat(k.keySet()).containsExactly("ServiceAccount", "Deployment", "Service");
    for (ObjectNode o : out) {
      JsonNode meta = o.path("metadata");
      assertThat(meta.path("name").asText()).isEqualTo("web-istio");
      assertThat(meta.path("namespace").asText()).isEqualTo("apps");
      assertThat(meta.path("labels").path("gateway.networking.k8s.io/gateway-name").asText())
          .isEqualTo("web");
      assertThat(meta.path("labels").path("gateway.istio.io/managed").asText())
          .isEqualTo("istio.io-gateway-controller");
      assertThat(meta.path("labels").path("team").asText()).isEqualTo("edge");
      assertThat(meta.path("labels").path("istio.io/dataplane-mode").asText()).isEqualTo("none");
      assertThat(meta.path("annotations").path("note").asText()).isEqualTo("kept");
      assertThat(meta.path("ownerReferences").get(0).path("uid").asText()).isEqualTo("1234-abcd");
      assertThat(meta.path("ownerReferences").get(0).path("kind").asText()).isEqualTo("Gateway");
    }
    JsonNode pod = k.get("Deployment").path("spec").path("template");
    assertThat(pod.path("metadata").path("labels").path("sidecar.istio.io/inject").asText())
        .isEqualTo("false");
    assertThat(pod.path("metadata").path("annotations").path("istio.io/rev").asText())
        .isEqualTo("default");
    assertThat(k.get("Deployment").path("spec").path("selector").path("matchLabels"))
        .isEqualTo(JSON.readTree("{\"gateway.networking.k8s.io/gateway-name\":\"web\"}"));
    JsonNode proxy = pod.path("spec").path("containers").get(0);
    assertThat(proxy.path("name").asText()).isEqualTo("istio-proxy");
    assertThat(proxy.path("image").asText()).endsWith("/proxyv2:1.1.4");
    assertThat(proxy.path("args").toString()).contains("\"proxy\",\"router\"");
    assertThat(pod.path("spec").path("serviceAccountName").asText()).isEqualTo("web-istio");

    JsonNode svc = k.get("Service").path("spec");
    assertThat(svc.path("type").asText()).isEqualTo("LoadBalancer");
    assertThat(svc.path("ports").findValuesAsText("name"))
        .containsExactly("status-port", "http", "https-example-com");
    assertThat(svc.path("ports").findValuesAsText("appProtocol"))
        .containsExactly("tcp", "http", "https");
    assertThat(svc.path("ports").get(2).path("port").asInt()).isEqualTo(443);
  }

  @Test
  void annotationsAndInfrastructureChangeNamesTypeAndMetadata() throws Exception {
    JsonNode gw =
        gateway(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              name: web
              namespace: apps
              labels: {team: edge}
              annotations:
                networking.istio.io/service-type: ClusterIP
                gateway.istio.io/name-override: front
                gateway.istio.io/service-account: front-sa
            spec:
              gatewayClassName: istio
              infrastructure:
                labels: {tier: public, gateway.networking.k8s.io/reserved: x}
                annotations: {owner: platform}
              listeners: [{name: http, port: 8080, protocol: HTTP}]
            """);
    Map<String, ObjectNode> k =
        byKind(GatewayDeployment.render(IstioTemplatesTest.istioConfig(), gw, List.of(), SETTINGS));
    assertThat(k.get("ServiceAccount").path("metadata").path("name").asText())
        .isEqualTo("front-sa");
    assertThat(k.get("Deployment").path("metadata").path("name").asText()).isEqualTo("front");
    assertThat(k.get("Service").path("spec").path("type").asText()).isEqualTo("ClusterIP");
    JsonNode labels = k.get("Deployment").path("metadata").path("labels");
    assertThat(labels.path("tier").asText()).isEqualTo("public");
    assertThat(labels.has("team"))
        .as("the Gateway's own labels give way to infrastructure's")
        .isFalse();
    assertThat(labels.has("gateway.networking.k8s.io/reserved")).isFalse();
    assertThat(k.get("Deployment").path("metadata").path("annotations").path("owner").asText())
        .isEqualTo("platform");
  }

  @Test
  void overlaysAddAnAutoscalerAndPatchTheDeploymentButCannotRenameIt() throws Exception {
    InjectionConfig cfg = IstioTemplatesTest.istioConfig();
    Map<String, String> overlay =
        Map.of(
            "horizontalPodAutoscaler", "spec: {minReplicas: 2, maxReplicas: 5}",
            "deployment", "spec: {replicas: 3}");
    Map<String, ObjectNode> k =
        byKind(GatewayDeployment.render(cfg, gateway(SIMPLE), List.of(overlay), SETTINGS));
    assertThat(k.keySet())
        .containsExactly("ServiceAccount", "Deployment", "Service", "HorizontalPodAutoscaler");
    assertThat(k.get("HorizontalPodAutoscaler").path("spec").path("maxReplicas").asInt())
        .isEqualTo(5);
    assertThat(k.get("Deployment").path("spec").path("replicas").asInt()).isEqualTo(3);

    assertThatThrownBy(
            () ->
                GatewayDeployment.render(
                    cfg,
                    gateway(SIMPLE),
                    List.of(Map.of("service", "metadata: {name: other}")),
                    SETTINGS))
        .hasMessageContaining("metadata.name");
    assertThatThrownBy(
            () ->
                GatewayDeployment.render(
                    cfg, gateway(SIMPLE), List.of(Map.of("configMap", "data: {}")), SETTINGS))
        .hasMessageContaining("unsupported overlay \"configMap\"");
  }

  @Test
  void aHostnameAddressMeansTheUserDeploysItAndASingleIpIsTheLoadBalancersAddress()
      throws Exception {
    assertThat(GatewayDeployment.managed(gateway(SIMPLE))).isTrue();
    assertThat(
            GatewayDeployment.managed(
                gateway("spec: {addresses: [{type: Hostname, value: ingress.istio-system.svc}]}")))
        .isFalse();
    assertThat(
            GatewayDeployment.managed(
                gateway("spec: {addresses: [{value: 1.2.3.4}, {value: 1.2.3.5}]}")))
        .isFalse();
    JsonNode ip =
        gateway(
            SIMPLE.replace(
                "  gatewayClassName: istio",
                "  gatewayClassName: istio\n  addresses: [{type: IPAddress, value: 10.0.0.7}]"));
    assertThat(GatewayDeployment.managed(ip)).isTrue();
    Map<String, ObjectNode> k =
        byKind(GatewayDeployment.render(IstioTemplatesTest.istioConfig(), ip, List.of(), SETTINGS));
    assertThat(k.get("Service").path("spec").path("loadBalancerIP").asText()).isEqualTo("10.0.0.7");
  }
}
