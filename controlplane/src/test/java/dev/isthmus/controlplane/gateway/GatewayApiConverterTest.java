package dev.isthmus.controlplane.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.isthmus.controlplane.gateway.GatewayApiResult.StatusUpdate;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.Port;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.RegistryService;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Behaviour the Istio corpus does not pin down: older API versions, typed output, idempotence. */
class GatewayApiConverterTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static final String OLDER_VERSIONS =
      """
      apiVersion: gateway.networking.k8s.io/v1beta1
      kind: GatewayClass
      metadata: {name: istio}
      spec: {controllerName: istio.io/gateway-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1beta1
      kind: Gateway
      metadata: {name: gw, namespace: istio-system}
      spec:
        gatewayClassName: istio
        addresses: [{type: Hostname, value: ingress}]
        listeners:
        - {name: tcp, port: 34000, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}
        - name: tls
          port: 443
          protocol: TLS
          hostname: "*.example.com"
          tls: {mode: Passthrough}
          allowedRoutes: {namespaces: {from: All}}
        - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
      ---
      apiVersion: gateway.networking.k8s.io/v1alpha2
      kind: TCPRoute
      metadata: {name: tcp, namespace: default}
      spec:
        parentRefs: [{name: gw, namespace: istio-system, sectionName: tcp}]
        rules: [{backendRefs: [{name: backend, port: 9090}]}]
      ---
      apiVersion: gateway.networking.k8s.io/v1alpha2
      kind: TLSRoute
      metadata: {name: tls, namespace: default}
      spec:
        parentRefs: [{name: gw, namespace: istio-system, sectionName: tls}]
        hostnames: [a.example.com]
        rules: [{backendRefs: [{name: backend, port: 443}]}]
      ---
      apiVersion: gateway.networking.k8s.io/v1beta1
      kind: HTTPRoute
      metadata: {name: http, namespace: default}
      spec:
        parentRefs: [{name: gw, namespace: istio-system, sectionName: http}]
        hostnames: [b.example.com]
        rules:
        - matches: [{path: {type: PathPrefix, value: /api/}}]
          backendRefs: [{name: backend, port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: backend, namespace: default}
      """;

  static GatewayApiSnapshot snapshot(String yaml) throws IOException {
    List<JsonNode> objects = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        objects.add((JsonNode) it.next());
      }
    }
    RegistryService ingress =
        new RegistryService(
            "ingress.istio-system.svc.cluster.local",
            "istio-system",
            Map.of(),
            "LoadBalancer",
            List.of(
                new Port("tcp", 34000, "TCP", List.of(34000)),
                new Port("https", 443, "HTTPS", List.of(8443)),
                new Port("http", 80, "HTTP", List.of(8080))),
            List.of("10.0.0.1"),
            List.of("203.0.113.7"));
    return new GatewayApiSnapshot("cluster.local", objects, List.of(ingress));
  }

  static JsonNode status(GatewayApiResult r, String kind, String name) {
    return r.statuses().stream()
        .filter(s -> s.kind().equals(kind) && s.name().equals(name))
        .map(StatusUpdate::status)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void servesOlderApiVersionsAndWritesStatusInV1() throws IOException {
    GatewayApiResult r = GatewayApiConverter.convert(snapshot(OLDER_VERSIONS), Instant.EPOCH);

    assertThat(r.statuses())
        .extracting(StatusUpdate::apiVersion)
        .containsOnly("gateway.networking.k8s.io/v1");
    JsonNode gw = status(r, "Gateway", "gw");
    assertThat(gw.at("/addresses/0/value").asText()).isEqualTo("203.0.113.7");
    assertThat(gw.get("listeners")).hasSize(3);
    gw.get("listeners")
        .forEach(l -> assertThat(l.get("attachedRoutes").asInt()).as(l.toString()).isEqualTo(1));
    for (String route : List.of("tcp", "tls", "http")) {
      String kind =
          route.equals("tcp") ? "TCPRoute" : route.equals("tls") ? "TLSRoute" : "HTTPRoute";
      JsonNode accepted = status(r, kind, route).at("/parents/0/conditions/0");
      assertThat(accepted.get("type").asText()).isEqualTo("Accepted");
      assertThat(accepted.get("status").asText()).as(kind).isEqualTo("True");
    }
  }

  @Test
  void derivedConfigReadsAsIstioModelObjects() throws IOException {
    GatewayApiResult r = GatewayApiConverter.convert(snapshot(OLDER_VERSIONS), Instant.EPOCH);

    assertThat(r.istioGateways())
        .extracting(g -> g.getMetadata().getName())
        .containsExactly(
            "gw~istio-autogenerated-k8s-gateway~http",
            "gw~istio-autogenerated-k8s-gateway~tcp",
            "gw~istio-autogenerated-k8s-gateway~tls");
    assertThat(r.istioGateways().get(2).getSpec().getServers().get(0).getHosts())
        .containsExactly("*/*.example.com");
    var http =
        r.istioVirtualServices().stream()
            .filter(v -> v.getSpec().getHosts().contains("b.example.com"))
            .findFirst()
            .orElseThrow();
    assertThat(http.getSpec().getGateways())
        .containsExactly("istio-system/gw~istio-autogenerated-k8s-gateway~http");
    assertThat(http.getSpec().getHttp().get(0).getRoute().get(0).getDestination().getHost())
        .isEqualTo("backend.default.svc.cluster.local");
  }

  @Test
  void sameInputSameOutputAndNoWriteWhenStatusIsCurrent() throws IOException {
    GatewayApiSnapshot s = snapshot(OLDER_VERSIONS);
    GatewayApiResult first = GatewayApiConverter.convert(s, Instant.EPOCH);
    assertThat(GatewayApiConverter.convert(s, Instant.EPOCH)).isEqualTo(first);

    // Feed the statuses back as live status: nothing is left to write, and a later clock does not
    // move the transition times of conditions that did not change.
    List<JsonNode> live = new ArrayList<>();
    for (JsonNode o : s.objects()) {
      ObjectNode copy = o.deepCopy();
      first.statuses().stream()
          .filter(u -> u.kind().equals(o.path("kind").asText()))
          .filter(u -> u.name().equals(o.at("/metadata/name").asText()))
          .findFirst()
          .ifPresent(u -> copy.set("status", u.status()));
      live.add(copy);
    }
    GatewayApiResult again =
        GatewayApiConverter.convert(
            new GatewayApiSnapshot(s.domainSuffix(), live, s.services()), Instant.now());
    assertThat(again.statuses()).isEmpty();
    assertThat(again.gateways()).isEqualTo(first.gateways());
  }

  @Test
  void readsInformerObjectsAndAppliesStatusByIdentityOnly() throws IOException {
    GatewayApiSnapshot fromTrees = snapshot(OLDER_VERSIONS);
    List<GenericKubernetesResource> resources = new ArrayList<>();
    for (JsonNode o : fromTrees.objects()) {
      resources.add(Serialization.jsonMapper().treeToValue(o, GenericKubernetesResource.class));
    }
    GatewayApiSnapshot s =
        GatewayApiSnapshot.fromResources(fromTrees.domainSuffix(), resources, fromTrees.services());
    GatewayApiResult r = GatewayApiConverter.convert(s, Instant.EPOCH);
    assertThat(r).isEqualTo(GatewayApiConverter.convert(fromTrees, Instant.EPOCH));

    StatusUpdate gw =
        r.statuses().stream().filter(u -> u.kind().equals("Gateway")).findFirst().orElseThrow();
    ObjectNode apply = gw.applyObject();
    assertThat(apply.fieldNames())
        .toIterable()
        .containsExactly("apiVersion", "kind", "metadata", "status");
    assertThat(apply.get("metadata").toString())
        .isEqualTo("{\"name\":\"gw\",\"namespace\":\"istio-system\"}");
  }

  @Test
  void incompleteObjectsNeverBreakTheConversion() throws IOException {
    GatewayApiSnapshot s = snapshot(OLDER_VERSIONS);
    for (int i = 0; i < s.objects().size(); i++) {
      JsonNode spec = s.objects().get(i).path("spec");
      List<String> fields = new ArrayList<>();
      spec.fieldNames().forEachRemaining(fields::add);
      fields.add(null);
      for (String field : fields) {
        List<JsonNode> objects = new ArrayList<>(s.objects());
        ObjectNode copy = objects.get(i).deepCopy();
        if (field == null) {
          copy.remove("spec");
        } else {
          ((ObjectNode) copy.get("spec")).remove(field);
        }
        objects.set(i, copy);
        GatewayApiSnapshot broken = new GatewayApiSnapshot(s.domainSuffix(), objects, s.services());
        assertThat(GatewayApiConverter.convert(broken, Instant.EPOCH).statuses())
            .as("without %s of object %d", field == null ? "spec" : field, i)
            .isNotEmpty();
      }
    }
  }

  @Test
  void listenerOfUnknownProtocolIsRejectedWithAHint() throws IOException {
    String yaml =
        OLDER_VERSIONS.replace(
            "{name: http, port: 80, protocol: HTTP,", "{name: http, port: 80, protocol: http,");
    GatewayApiResult r = GatewayApiConverter.convert(snapshot(yaml), Instant.EPOCH);
    JsonNode gw = status(r, "Gateway", "gw");
    assertThat(gw.at("/conditions/0/reason").asText()).isEqualTo("ListenersNotValid");
    assertThat(gw.at("/listeners/2/conditions/0/message").asText())
        .isEqualTo("protocol \"http\" is unsupported. hint: \"HTTP\" (uppercase) may be supported");
    assertThat(r.istioGateways()).hasSize(2);
  }
}
