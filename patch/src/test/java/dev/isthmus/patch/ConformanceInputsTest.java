package dev.isthmus.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.tpath.TreePath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Applies the {@code k8s} blocks of Istio's manifest-generate inputs {@code
 * pilot_override_kubernetes.yaml} and {@code gateways.yaml} (read from the shared conformance
 * directory, not copied here) to small hand-made objects shaped like Istio's rendered istiod and
 * gateways, and checks the patched fields, against Istio's golden output where it has one.
 */
class ConformanceInputsTest {

  /**
   * Skips when the corpus is absent on a developer's machine; fails under {@code CI=true}, where a
   * missing corpus must never pass for a green run.
   */
  /** {@code objects} patched by the pilot component's {@code k8s} settings of {@code input}. */
  static List<ObjectNode> patchPilot(List<ObjectNode> objects, String input) throws IOException {
    return Patcher.apply(
        objects,
        input(input).at("/spec/components/pilot/k8s"),
        new PatchTarget("Deployment", "istiod", "discovery", "istiod"),
        "spec.components.pilot.k8s");
  }

  static void requireCorpus(Path p) {
    if (!Files.exists(p)) {
      org.junit.jupiter.api.Assertions.assertFalse(
          "true".equals(System.getenv("CI")), "conformance corpus missing under CI=true: " + p);
      assumeTrue(false, "conformance corpus not found at " + p + "; skipping");
    }
  }

  static Path dir() {
    String root = System.getProperty("project.root", ".");
    return Path.of(
        System.getProperty(
            "conformance.dir", root + "/../shared/conformance/istio-manifest-generate"));
  }

  static JsonNode input(String name) throws IOException {
    Path p = dir().resolve("input").resolve(name);
    requireCorpus(p);
    return Yaml.tree(Files.readString(p));
  }

  static ObjectNode golden(String name, String kind, String objectName) throws IOException {
    Path p = dir().resolve("output").resolve(name);
    requireCorpus(p);
    return Yaml.objects(Files.readString(p)).stream()
        .filter(o -> o.path("kind").asText().equals(kind))
        .filter(o -> o.path("metadata").path("name").asText().equals(objectName))
        .findFirst()
        .orElseThrow();
  }

  static JsonNode get(ObjectNode obj, String path) {
    return TreePath.parse(path).get(obj);
  }

  static ObjectNode find(List<ObjectNode> objs, String kind) {
    return objs.stream().filter(o -> o.get("kind").asText().equals(kind)).findFirst().orElseThrow();
  }

  static final String ISTIOD =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: istiod, namespace: istio-control}
      spec:
        template:
          spec:
            containers:
            - name: discovery
              image: pilot
              args: [discovery, --monitoringAddr=:15014, --keepaliveMaxServerConnectionAge, 30m]
              env:
              - {name: REVISION, value: default}
              - {name: PILOT_CERT_PROVIDER, value: istiod}
              - name: POD_NAMESPACE
                valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}
              ports:
              - {containerPort: 8080, name: http-debug, protocol: TCP}
              - {containerPort: 15010, name: grpc-xds, protocol: TCP}
              resources: {requests: {cpu: 500m, memory: 2048Mi}}
              securityContext: {readOnlyRootFilesystem: true, runAsNonRoot: true}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: istiod, namespace: istio-control}
      spec:
        ports:
        - {name: grpc-xds, port: 15010, protocol: TCP}
        - {name: https-dns, port: 15012, protocol: TCP}
      ---
      apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: istiod, namespace: istio-control}
      spec: {minAvailable: 1, selector: {matchLabels: {app: istiod}}}
      ---
      apiVersion: admissionregistration.k8s.io/v1
      kind: MutatingWebhookConfiguration
      metadata: {name: istio-sidecar-injector-istio-control}
      webhooks:
      - name: rev.namespace.sidecar-injector.istio.io
        clientConfig: {service: {name: istiod, namespace: istio-control}}
      - name: namespace.sidecar-injector.istio.io
        clientConfig: {service: {name: istiod, namespace: istio-control}}
      """;

  @Test
  void pilotOverrideKubernetes() throws IOException {
    List<ObjectNode> out = patchPilot(Yaml.objects(ISTIOD), "pilot_override_kubernetes.yaml");

    ObjectNode deploy = find(out, "Deployment");
    String discovery = "spec.template.spec.containers.[name:discovery].";
    assertThat(get(deploy, discovery + "args").toString())
        .contains("\"60m\"")
        .doesNotContain("30m");
    assertThat(get(deploy, discovery + "ports.[containerPort:1234].name").asText())
        .isEqualTo("http-debug");
    assertThat(TreePath.parse(discovery + "env.[name:REVISION]").find(deploy)).isEmpty();
    assertThat(TreePath.parse(discovery + "securityContext").find(deploy)).isEmpty();
    assertThat(get(deploy, discovery + "resources"))
        .isEqualTo(Yaml.tree("{requests: {cpu: 123m, memory: 2048Mi}}"));
    assertThat(find(out, "PodDisruptionBudget").get("spec"))
        .isEqualTo(Yaml.tree("{maxUnavailable: 1, selector: {matchLabels: {app: istiod}}}"));
    ObjectNode webhooks = find(out, "MutatingWebhookConfiguration");
    assertThat(
            get(webhooks, "webhooks.[name:namespace\\.sidecar-injector\\.istio\\.io].clientConfig")
                .at("/service/name")
                .asText())
        .isEqualTo("foo");
    assertThat(
            get(webhooks, "webhooks.[name:rev.namespace.sidecar-injector.istio.io]")
                .at("/clientConfig/service/name")
                .asText())
        .isEqualTo("istiod");

    // The patched fields equal Istio's golden output for the same input.
    ObjectNode goldenDeploy =
        golden("pilot_override_kubernetes.golden.yaml", "Deployment", "istiod");
    for (String field :
        List.of(
            "env.[name:POD_NAMESPACE]",
            "ports.[containerPort:1234]",
            "args.[:60m]",
            "resources.requests.cpu")) {
      assertThat(get(deploy, discovery + field))
          .as(field)
          .isEqualTo(get(goldenDeploy, discovery + field));
    }
    ObjectNode goldenService = golden("pilot_override_kubernetes.golden.yaml", "Service", "istiod");
    assertThat(get(find(out, "Service"), "spec.ports.[name:https-dns]"))
        .isEqualTo(get(goldenService, "spec.ports.[name:https-dns]"));
  }

  @Test
  void baseOverlayOnServiceAccount() throws IOException {
    JsonNode k8s = input("pilot_override_kubernetes.yaml").at("/spec/components/base/k8s");
    List<ObjectNode> out =
        Patcher.apply(
            Yaml.objects(
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: istio-reader-service-account}"),
            k8s,
            new PatchTarget(null, null, null, null),
            "spec.components.base.k8s");
    assertThat(out.get(0).at("/spec/automountServiceAccountToken").asBoolean(true)).isFalse();
  }

  static String gateway(String name) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: NAME}
        spec:
          template:
            spec:
              containers:
              - name: istio-proxy
                env:
                - {name: PILOT_CERT_PROVIDER, value: istiod}
                - {name: CA_ADDR, value: istiod.istio-system.svc:15012}
                resources: {limits: {cpu: 2000m, memory: 1024Mi}, requests: {cpu: 100m, memory: 128Mi}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: NAME}
        spec:
          type: LoadBalancer
          ports:
          - {name: status-port, port: 15021, protocol: TCP, targetPort: 15021}
          - {name: http2, port: 80, protocol: TCP, targetPort: 8080}
          - {name: https, port: 443, protocol: TCP, targetPort: 8443}
        """
        .replace("NAME", name);
  }

  @Test
  void gateways() throws IOException {
    JsonNode gws = input("gateways.yaml").at("/spec/components/ingressGateways");
    assertThat(gws.size()).isEqualTo(3);
    for (int i = 0; i < gws.size(); i++) {
      String name = gws.get(i).get("name").asText();
      List<ObjectNode> out =
          Patcher.apply(
              Yaml.objects(gateway(name)),
              gws.get(i).get("k8s"),
              new PatchTarget("Deployment", name, "istio-proxy", name),
              "spec.components.ingressGateways[" + i + "].k8s");
      ObjectNode proxy =
          (ObjectNode)
              get(find(out, "Deployment"), "spec.template.spec.containers.[name:istio-proxy]");
      JsonNode wantRequests = gws.get(i).at("/k8s/resources/requests");
      assertThat(proxy.at("/resources/requests/cpu")).isEqualTo(wantRequests.get("cpu"));
      assertThat(proxy.at("/resources/limits"))
          .isEqualTo(Yaml.tree("{cpu: 2000m, memory: 1024Mi}"));
      if (!name.equals("ilb-gateway")) {
        assertThat(proxy.at("/resources/requests/memory")).isEqualTo(wantRequests.get("memory"));
        continue;
      }
      assertThat(proxy.at("/resources/requests/memory").asText()).isEqualTo("128Mi");
      assertThat(get(proxy, "env.[name:PILOT_CERT_PROVIDER].value").asText()).isEqualTo("foobar");
      ObjectNode svc = find(out, "Service");
      assertThat(svc.at("/metadata/annotations"))
          .isEqualTo(Yaml.tree("{cloud.google.com/load-balancer-type: internal}"));
      // Kubernetes' strategic merge order: when no patch element exists yet, they come first.
      assertThat(svc.at("/spec/ports"))
          .isEqualTo(
              Yaml.tree(
                  """
                  - {name: grpc-pilot-mtls, port: 15011}
                  - {name: tcp-citadel-grpc-tls, port: 8060, targetPort: 8060}
                  - {name: tcp-dns, port: 5353}
                  - {name: status-port, port: 15021, protocol: TCP, targetPort: 15021}
                  - {name: http2, port: 80, protocol: TCP, targetPort: 8080}
                  - {name: https, port: 443, protocol: TCP, targetPort: 8443}
                  """));
    }
  }

  /**
   * Undoes, on Istio's golden output for {@code pilot_k8s_settings.yaml}, what the settings
   * changed, applies the settings again and expects the golden back: this checks env merging in
   * Kubernetes' order, probe and resource merges, nodeSelector and hpaSpec.
   */
  @Test
  void pilotK8sSettingsReproduceGolden() throws IOException {
    String file = "pilot_k8s_settings.golden.yaml";
    ObjectNode goldenDeploy = golden(file, "Deployment", "istiod");
    ObjectNode goldenHpa = golden(file, "HorizontalPodAutoscaler", "istiod");
    ObjectNode deploy = goldenDeploy.deepCopy();
    String discovery = "spec.template.spec.containers.[name:discovery].";
    TreePath.parse(discovery + "env.[name:GODEBUG]").delete(deploy);
    TreePath.parse(discovery + "env.[name:NEW_VAR]").delete(deploy);
    TreePath.parse(discovery + "env.[name:POD_NAME].valueFrom.fieldRef.fieldPath")
        .set(deploy, Yaml.tree("metadata.name"));
    TreePath.parse(discovery + "readinessProbe.initialDelaySeconds").set(deploy, Yaml.tree("1"));
    TreePath.parse(discovery + "resources.requests.memory").set(deploy, Yaml.tree("2048Mi"));
    TreePath.parse("spec.template.spec.nodeSelector").delete(deploy);
    ObjectNode hpa = goldenHpa.deepCopy();
    TreePath.parse("spec.maxReplicas").set(hpa, Yaml.tree("5"));
    TreePath.parse("spec.metrics").set(hpa, Yaml.tree("[{type: Resource, resource: {name: cpu}}]"));
    TreePath.parse("spec.scaleTargetRef.name").set(hpa, Yaml.tree("istiod"));
    assertThat(deploy).isNotEqualTo(goldenDeploy);

    List<ObjectNode> out = patchPilot(List.of(deploy, hpa), "pilot_k8s_settings.yaml");
    assertThat(out.get(0)).isEqualTo(goldenDeploy);
    assertThat(out.get(1)).isEqualTo(goldenHpa);
  }

  /** Same for {@code pilot_hpa_pdb.yaml}; Istio writes {@code minAvailable: null}, we drop it. */
  @Test
  void pilotHpaPdbReproduceGolden() throws IOException {
    String file = "pilot_hpa_pdb.golden.yaml";
    ObjectNode goldenPdb = golden(file, "PodDisruptionBudget", "istiod");
    ObjectNode goldenHpa = golden(file, "HorizontalPodAutoscaler", "istiod");
    ObjectNode pdb = goldenPdb.deepCopy();
    ((ObjectNode) pdb.get("spec")).remove("maxUnavailable");
    ((ObjectNode) pdb.get("spec")).put("minAvailable", 1);
    ObjectNode hpa = goldenHpa.deepCopy();
    ((ObjectNode) hpa.get("spec")).put("minReplicas", 1);

    List<ObjectNode> out = patchPilot(List.of(pdb, hpa), "pilot_hpa_pdb.yaml");
    ((ObjectNode) goldenPdb.get("spec")).remove("minAvailable");
    assertThat(out).containsExactly(goldenPdb, goldenHpa);
  }
}
