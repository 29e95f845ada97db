package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isthmus.translate.cli.ManifestCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every field of the IstioOperator is checked against its type: the {@code k8s.*} blocks against
 * the Kubernetes types, the mesh configuration against Istio's MeshConfig and ProxyConfig protos.
 * Each row is an input snippet (under {@code spec:} unless it starts with {@code spec}) and the
 * message it must produce, field path first.
 */
class TypeValidationTest {
  static final String HEAD = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n";
  static final String PILOT_K8S = "spec:\n  components:\n    pilot:\n      k8s:\n";
  static final String GW_K8S =
      "spec:\n  components:\n    ingressGateways:\n      - name: istio-ingressgateway\n"
          + "        enabled: true\n        k8s:\n";
  static final String MESH = "spec:\n  meshConfig:\n";

  static List<Arguments> errors() {
    return List.of(
        // inputs istioctl refuses
        Arguments.of(
            PILOT_K8S + "        resources:\n          requests:\n            cpu: lots\n",
            "spec.components.pilot.k8s.resources.requests.cpu: \"lots\" is not a quantity"),
        Arguments.of(
            PILOT_K8S + "        replicaCount: -1\n",
            "spec.components.pilot.k8s.replicaCount: -1 is less than 0"),
        Arguments.of(
            "spec:\n  profile: [demo, minimal]\n", "spec.profile: expected a string, got a list"),
        Arguments.of(
            MESH + "    defaultConfig:\n      concurrency: lots\n",
            "spec.meshConfig.defaultConfig.concurrency: expected an integer, got the string \"lots\""),
        Arguments.of("spec:\n  - profile: demo\n", "spec: expected an object, got a list"),
        Arguments.of("spec: demo\n", "spec: expected an object, got the string \"demo\""),
        Arguments.of(
            PILOT_K8S
                + "        tolerations:\n          - key: a\n            operator: Sometimes\n",
            "spec.components.pilot.k8s.tolerations[0].operator: \"Sometimes\" is not one of Exists,"
                + " Equal"),
        Arguments.of(
            GW_K8S + "          service:\n            type: Public\n",
            "spec.components.ingressGateways[0].k8s.service.type: \"Public\" is not one of"
                + " ClusterIP, NodePort, LoadBalancer, ExternalName"),
        Arguments.of(
            PILOT_K8S + "        hpaSpec:\n          minReplicas: 5\n          maxReplicas: 2\n",
            "spec.components.pilot.k8s.hpaSpec.minReplicas: 5 is greater than maxReplicas (2)"),
        // more k8s.* types the API server enforces
        Arguments.of(
            PILOT_K8S + "        resources:\n          limits:\n            memory: 1Gb\n",
            "spec.components.pilot.k8s.resources.limits.memory: \"1Gb\" is not a quantity"),
        Arguments.of(
            PILOT_K8S + "        replicaCount: 3000000000\n",
            "spec.components.pilot.k8s.replicaCount: 3000000000 is out of range"),
        Arguments.of(
            PILOT_K8S + "        tolerations:\n          - key: a\n            effect: Sometimes\n",
            "spec.components.pilot.k8s.tolerations[0].effect: \"Sometimes\" is not one of"),
        Arguments.of(
            GW_K8S
                + "          service:\n            ports:\n              - port: 80\n"
                + "                protocol: HTTP\n",
            "spec.components.ingressGateways[0].k8s.service.ports[0].protocol: \"HTTP\" is not one"
                + " of TCP, UDP, SCTP"),
        Arguments.of(
            GW_K8S + "          service:\n            externalTrafficPolicy: Global\n",
            "spec.components.ingressGateways[0].k8s.service.externalTrafficPolicy: \"Global\""),
        Arguments.of(
            PILOT_K8S + "        imagePullPolicy: Sometimes\n",
            "spec.components.pilot.k8s.imagePullPolicy: \"Sometimes\" is not one of"),
        Arguments.of(
            PILOT_K8S + "        strategy:\n          type: Sideways\n",
            "spec.components.pilot.k8s.strategy.type: \"Sideways\" is not one of"),
        Arguments.of(
            PILOT_K8S + "        strategy:\n          rollingUpdate:\n            maxSurge: [1]\n",
            "spec.components.pilot.k8s.strategy.rollingUpdate.maxSurge: expected a string or a"
                + " number"),
        Arguments.of(
            PILOT_K8S
                + "        affinity:\n          nodeAffinity:\n"
                + "            requiredDuringSchedulingIgnoredDuringExecution:\n"
                + "              nodeSelectorTerms:\n                - matchExpressions:\n"
                + "                    - key: zone\n                      operator: Maybe\n",
            "spec.components.pilot.k8s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                + ".nodeSelectorTerms[0].matchExpressions[0].operator: \"Maybe\" is not one of"),
        Arguments.of(
            PILOT_K8S
                + "        env:\n          - name: A\n            valueFrom:\n              bogus: 1\n",
            "spec.components.pilot.k8s.env[0].valueFrom.bogus: unknown field"),
        Arguments.of(
            PILOT_K8S
                + "        podDisruptionBudget:\n          unhealthyPodEvictionPolicy: Never\n",
            "spec.components.pilot.k8s.podDisruptionBudget.unhealthyPodEvictionPolicy: \"Never\""),
        Arguments.of(
            PILOT_K8S + "        nodeSelector: [a]\n",
            "spec.components.pilot.k8s.nodeSelector: expected a map, got a list"),
        Arguments.of(
            PILOT_K8S + "        podDisruptionBudget:\n          minAvailable: [1]\n",
            "spec.components.pilot.k8s.podDisruptionBudget.minAvailable: expected a string or a"
                + " number"),
        Arguments.of(
            PILOT_K8S
                + "        readinessProbe:\n          httpGet:\n            port: 8080\n"
                + "            scheme: FTP\n",
            "spec.components.pilot.k8s.readinessProbe.httpGet.scheme: \"FTP\" is not one of HTTP,"
                + " HTTPS"),
        Arguments.of(
            PILOT_K8S + "        readinessProbe:\n          periodSeconds: often\n",
            "spec.components.pilot.k8s.readinessProbe.periodSeconds: expected an integer"),
        Arguments.of(
            PILOT_K8S + "        securityContext:\n          runAsUser: root\n",
            "spec.components.pilot.k8s.securityContext.runAsUser: expected an integer"),
        Arguments.of(
            PILOT_K8S + "        hpaSpec:\n          maxReplicas: 0\n",
            "spec.components.pilot.k8s.hpaSpec.maxReplicas: 0 is less than 1"),
        Arguments.of(
            PILOT_K8S + "        hpaSpec:\n          metrics:\n            - type: Bogus\n",
            "spec.components.pilot.k8s.hpaSpec.metrics[0].type: \"Bogus\" is not one of"),
        Arguments.of(
            "spec:\n  values:\n    pilot:\n      autoscaleMin: 5\n      autoscaleMax: 2\n",
            "spec.values.pilot.autoscaleMin: 5 is greater than autoscaleMax (2)"),
        Arguments.of(
            "spec:\n  values:\n    global:\n      defaultResources:\n        requests:\n"
                + "          cpu: lots\n",
            "spec.values.global.defaultResources.requests.cpu: \"lots\" is not a quantity"),
        // meshConfig: MeshConfig and ProxyConfig as the protos define them
        Arguments.of(
            MESH + "    accessLogEncoding: XML\n",
            "spec.meshConfig.accessLogEncoding: \"XML\" is not one of JSON, TEXT"),
        Arguments.of(
            MESH + "    accessLogEncoding: \"1\"\n",
            "spec.meshConfig.accessLogEncoding: \"1\" is not one of JSON, TEXT"),
        Arguments.of(
            MESH + "    connectTimeout: 1.5h\n",
            "spec.meshConfig.connectTimeout: 1.5h must be between 1ms and 1h"),
        Arguments.of(
            MESH + "    connectTimeout: \"0\"\n",
            "spec.meshConfig.connectTimeout: 0 must be between 1ms and 1h"),
        Arguments.of(
            MESH + "    protocolDetectionTimeout: 1500us\n",
            "spec.meshConfig.protocolDetectionTimeout: only durations to ms precision"),
        Arguments.of(
            MESH + "    proxyListenPort: 0\n",
            "spec.meshConfig.proxyListenPort: port number 0 must be in the range 1..65535"),
        Arguments.of(
            MESH + "    defaultConfig:\n      drainDuration: 1500ms\n",
            "spec.meshConfig.defaultConfig.drainDuration: 1500ms must be at least 1s, to the second"),
        Arguments.of(
            MESH + "    defaultConfig:\n      statusPort: 70000\n",
            "spec.meshConfig.defaultConfig.statusPort: port number 70000 must be in the range"),
        Arguments.of(
            MESH + "    defaultConfig:\n      concurrency: 2.5\n",
            "spec.meshConfig.defaultConfig.concurrency: expected an integer"),
        Arguments.of(
            MESH + "    connectTimeout: soon\n",
            "spec.meshConfig.connectTimeout: expected a duration"),
        Arguments.of(
            MESH + "    connectTimeout: 10\n",
            "spec.meshConfig.connectTimeout: expected a duration"),
        Arguments.of(
            MESH + "    enableTracing: maybe\n",
            "spec.meshConfig.enableTracing: expected a boolean, got the string \"maybe\""),
        Arguments.of(
            MESH + "    outboundTrafficPolicy:\n      mode: OPEN\n",
            "spec.meshConfig.outboundTrafficPolicy.mode: \"OPEN\" is not one of"),
        Arguments.of(
            MESH + "    outboundTrafficPolicy: ALLOW_ANY\n",
            "spec.meshConfig.outboundTrafficPolicy: expected an object"),
        Arguments.of(
            MESH + "    trustDomainAliases: example.org\n",
            "spec.meshConfig.trustDomainAliases: expected a list"),
        Arguments.of(
            MESH
                + "    extensionProviders:\n      - name: otel\n        opentelemetry:\n"
                + "          port: http\n",
            "spec.meshConfig.extensionProviders[0].opentelemetry.port: expected an integer"),
        Arguments.of(
            MESH + "    defaultConfig:\n      proxyMetadata:\n        A: [1]\n",
            "spec.meshConfig.defaultConfig.proxyMetadata.A: expected a string"),
        Arguments.of(
            MESH + "    defaultConfig:\n      drainDuration: 5\n",
            "spec.meshConfig.defaultConfig.drainDuration: expected a duration"),
        Arguments.of(
            MESH + "    defaultConfig:\n      fileFlushMinSizeKb: -1\n",
            "spec.meshConfig.defaultConfig.fileFlushMinSizeKb: expected an integer between 0 and"),
        Arguments.of(
            MESH + "    default_config:\n      holdApplicationUntilProxyStarts: yes please\n",
            "spec.meshConfig.default_config.holdApplicationUntilProxyStarts: expected a boolean"),
        Arguments.of(
            MESH + "    localityLbSetting:\n      failoverPriority: topology.kubernetes.io/zone\n",
            "spec.meshConfig.localityLbSetting.failoverPriority: expected a list"),
        Arguments.of(
            "spec:\n  values:\n    meshConfig:\n      defaultConfig:\n        concurrency: lots\n",
            "spec.values.meshConfig.defaultConfig.concurrency: expected an integer"));
  }

  @ParameterizedTest
  @MethodSource("errors")
  void refusesWithFieldPath(String body, String expected) {
    assertThatThrownBy(() -> render(body))
        .isInstanceOf(ValidationException.class)
        .satisfies(
            e ->
                assertThat(((ValidationException) e).errors())
                    .anyMatch(m -> m.startsWith(expected)));
  }

  static List<Arguments> warnings() {
    return List.of(
        Arguments.of(
            MESH + "    bogusField: 1\n",
            "spec.meshConfig.bogusField: unknown field of MeshConfig; Istio ignores it"),
        Arguments.of(
            MESH + "    defaultConfig:\n      bogus: true\n",
            "spec.meshConfig.defaultConfig.bogus: unknown field of ProxyConfig"),
        Arguments.of(
            "spec:\n  values:\n    meshConfig:\n      extensionProviders:\n        - name: x\n"
                + "          bogus: {}\n",
            "spec.values.meshConfig.extensionProviders[0].bogus: unknown field of"
                + " MeshConfig.ExtensionProvider"),
        Arguments.of(
            MESH
                + "    defaultConfig:\n      serviceCluster: a\n"
                + "      tracingServiceName: APP_LABEL_AND_NAMESPACE\n",
            "spec.meshConfig.defaultConfig: only one of serviceCluster, tracingServiceName takes"
                + " effect"));
  }

  @ParameterizedTest
  @MethodSource("warnings")
  void warnsAndRenders(String body, String expected) {
    RenderResult r = render(body);
    assertThat(r.warnings()).anyMatch(w -> w.startsWith(expected));
    assertThat(r.objects()).isNotEmpty();
  }

  static List<String> valid() {
    return List.of(
        PILOT_K8S
            + "        resources:\n          requests:\n            cpu: 100m\n"
            + "            memory: 1.5Gi\n          limits:\n            cpu: 2\n"
            + "            memory: 1e9\n",
        PILOT_K8S + "        replicaCount: 0\n",
        PILOT_K8S
            + "        podDisruptionBudget:\n          unhealthyPodEvictionPolicy: AlwaysAllow\n",
        PILOT_K8S + "        replicaCount: \"3\"\n",
        PILOT_K8S + "        hpaSpec:\n          minReplicas: 2\n          maxReplicas: 2\n",
        PILOT_K8S
            + "        tolerations:\n          - operator: Exists\n            effect: NoExecute\n",
        GW_K8S + "          service:\n            type: NodePort\n            ipFamilies: [IPv4]\n",
        MESH + "    access_log_file: /dev/stdout\n    accessLogEncoding: JSON\n",
        MESH + "    accessLogEncoding: 1\n    connectTimeout: 1m30s\n    dnsRefreshRate: 0.5s\n",
        MESH
            + "    connectTimeout: 500ms\n    protocolDetectionTimeout: \"0s\"\n"
            + "    defaultConfig:\n      concurrency: 2.0\n      statusPort: 15020\n",
        MESH
            + "    defaultConfig:\n      concurrency: \"2\"\n      drainDuration: 45s\n"
            + "      proxyMetadata:\n        ISTIO_META_DNS_CAPTURE: \"true\"\n",
        MESH
            + "    outboundTrafficPolicy:\n      mode: REGISTRY_ONLY\n    enableTracing: true\n"
            + "    extensionProviders:\n      - name: otel\n        opentelemetry:\n"
            + "          service: otel.observability.svc.cluster.local\n          port: 4317\n",
        MESH
            + "    defaultConfig:\n      tracing:\n        sampling: 10\n        zipkin:\n"
            + "          address: zipkin:9411\n      concurrency:\n");
  }

  @ParameterizedTest
  @MethodSource("valid")
  void acceptsValidInput(String body) {
    RenderResult r = render(body);
    assertThat(r.objects()).isNotEmpty();
    assertThat(r.warnings()).noneMatch(w -> w.contains("unknown field"));
  }

  /** No input of Istio's corpus that istioctl renders gets a type warning about its mesh config. */
  @Test
  void corpusInputsGetNoTypeWarnings() throws IOException {
    Path in = ConformanceTest.corpus().resolve("input");
    ConformanceTest.requireCorpus(in);
    List<Path> files;
    try (Stream<Path> s = Files.list(in)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path f : files) {
      String name = f.getFileName().toString();
      if (ConformanceTest.REJECTED.contains(name) || ConformanceTest.NEEDS_CLUSTER.contains(name)) {
        continue;
      }
      RenderResult r = Translator.render(List.of(Files.readString(f)), List.of(), null, false);
      assertThat(r.warnings()).as(name).noneMatch(w -> w.contains("unknown field"));
    }
  }

  @Test
  void cliReportsTypeErrorsOnStderrOnly(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path f = dir.resolve("iop.yaml");
    Files.writeString(
        f, HEAD + PILOT_K8S + "        resources:\n          requests:\n            cpu: lots\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ManifestCli.run(
            new String[] {"manifest", "generate", "-f", f.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "error: spec.components.pilot.k8s.resources.requests.cpu: \"lots\" is not a quantity");
  }

  @Test
  void cliPrintsMeshConfigWarningsAndRenders(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path f = dir.resolve("iop.yaml");
    Files.writeString(f, HEAD + "spec:\n  profile: minimal\n  meshConfig:\n    bogusField: 1\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ManifestCli.run(
            new String[] {"manifest", "generate", "-f", f.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("kind: Deployment");
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("warning: spec.meshConfig.bogusField: unknown field of MeshConfig");
  }

  @Test
  void setFlagsAreCheckedToo() {
    assertThatThrownBy(
            () ->
                Translator.render(
                    List.of(), List.of("meshConfig.defaultConfig.concurrency=lots"), null, false))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("spec.meshConfig.defaultConfig.concurrency: expected an integer");
  }

  private static RenderResult render(String body) {
    return Translator.render(List.of(HEAD + body), List.of(), null, false);
  }
}
