package dev.isthmus.controlplane.webhooks.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SidecarInjectorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> ENABLED = Map.of("istio-injection", "enabled");

  static String resource(String name) throws Exception {
    try (InputStream in =
        SidecarInjectorTest.class.getResourceAsStream("/webhooks/inject/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static InjectionConfig config(Consumer<ObjectNode> valuesEdit, String mesh) throws Exception {
    ObjectNode values = (ObjectNode) JSON.readTree(resource("values.json"));
    valuesEdit.accept(values);
    return InjectionConfig.parse(
        Map.of("values", values.toString(), "config", InjectorFixtures.config("enabled", Map.of())),
        mesh);
  }

  static ObjectNode pod() throws Exception {
    return JSON.valueToTree(Serialization.unmarshal(resource("pod.yaml"), Object.class));
  }

  static InjectionResult inject(InjectionConfig cfg, JsonNode pod, Map<String, String> nsLabels) {
    return new SidecarInjector(() -> cfg, "istio-system", ns -> nsLabels).inject(pod, "bookinfo");
  }

  static Container container(Pod pod, String name) {
    return pod.getSpec().getContainers().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  static Map<String, EnvVar> env(Container c) {
    Map<String, EnvVar> m = new HashMap<>();
    c.getEnv().forEach(e -> m.put(e.getName(), e));
    return m;
  }

  @Test
  void injectsPlainPodFieldByField() throws Exception {
    ObjectNode original = pod();
    InjectionResult r =
        inject(
            config(v -> {}, "trustDomain: cluster.local\ndefaultConfig:\n  concurrency: 2\n"),
            original,
            ENABLED);
    assertThat(r.injected()).isTrue();
    Pod pod = r.pod();

    assertThat(pod.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("productpage", "istio-proxy");
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("istio-init");
    Container init = pod.getSpec().getInitContainers().get(0);
    assertThat(init.getImage()).isEqualTo("registry.example.com/istio/proxyv2:1.24.0");
    assertThat(init.getArgs())
        .containsSequence(
            "-p",
            "15001",
            "-z",
            "15006",
            "-u",
            "1337",
            "-m",
            "REDIRECT",
            "-i",
            "*",
            "-x",
            "",
            "-b",
            "*",
            "-d",
            "15090,15021,15020");
    assertThat(init.getSecurityContext().getCapabilities().getAdd())
        .containsExactly("NET_ADMIN", "NET_RAW");

    Container proxy = container(pod, "istio-proxy");
    assertThat(proxy.getImage()).isEqualTo("registry.example.com/istio/proxyv2:1.24.0");
    assertThat(proxy.getArgs())
        .containsExactly(
            "proxy",
            "sidecar",
            "--domain",
            "$(POD_NAMESPACE).svc.cluster.local",
            "--proxyLogLevel=warning",
            "--proxyComponentLogLevel=misc:error",
            "--log_output_level=default:info");
    assertThat(proxy.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getContainerPort()).isEqualTo(15090);
              assertThat(p.getName()).isEqualTo("http-envoy-prom");
            });
    assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
    assertThat(proxy.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
    assertThat(proxy.getReadinessProbe().getPeriodSeconds()).isEqualTo(15);
    assertThat(proxy.getStartupProbe().getFailureThreshold()).isEqualTo(600);
    assertThat(proxy.getResources().getRequests().get("cpu").toString()).isEqualTo("100m");
    assertThat(proxy.getResources().getLimits().get("memory").toString()).isEqualTo("1024Mi");
    assertThat(proxy.getSecurityContext().getRunAsUser()).isEqualTo(1337L);
    assertThat(proxy.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();

    Map<String, EnvVar> env = env(proxy);
    assertThat(env.get("CA_ADDR").getValue()).isEqualTo("istiod.istio-system.svc:15012");
    assertThat(env.get("PILOT_CERT_PROVIDER").getValue()).isEqualTo("istiod");
    assertThat(env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(env.get("INSTANCE_IP").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("status.podIP");
    assertThat(env.get("SERVICE_ACCOUNT").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("spec.serviceAccountName");
    assertThat(env.get("ISTIO_META_CLUSTER_ID").getValue()).isEqualTo("cluster-a");
    assertThat(env.get("ISTIO_META_MESH_ID").getValue()).isEqualTo("mesh1");
    assertThat(env.get("ISTIO_META_APP_CONTAINERS").getValue()).isEqualTo("productpage");
    assertThat(env.get("ISTIO_META_WORKLOAD_NAME").getValue()).isEqualTo("productpage");
    assertThat(env.get("ISTIO_META_OWNER").getValue())
        .isEqualTo("kubernetes://apis/apps/v1/namespaces/bookinfo/deployments/productpage");
    assertThat(env.get("ISTIO_META_INTERCEPTION_MODE").getValue()).isEqualTo("REDIRECT");
    JsonNode podPorts = JSON.readTree(env.get("ISTIO_META_POD_PORTS").getValue());
    assertThat(podPorts.get(0).path("containerPort").asInt()).isEqualTo(9080);
    JsonNode proxyConfig = JSON.readTree(env.get("PROXY_CONFIG").getValue());
    assertThat(proxyConfig.has("concurrency"))
        .as("PROXY_CONFIG leaves out fields at their defaults, as Istio's does")
        .isFalse();
    assertThat(proxyConfig.has("discoveryAddress")).isFalse();

    assertThat(pod.getSpec().getVolumes())
        .extracting(Volume::getName)
        .containsExactly(
            "workload-socket",
            "credential-socket",
            "workload-certs",
            "istio-envoy",
            "istio-data",
            "istio-podinfo",
            "istio-token",
            "istiod-ca-cert",
            "istio-ca-crl");
    Volume envoy = volume(pod, "istio-envoy");
    assertThat(envoy.getEmptyDir().getMedium()).isEqualTo("Memory");
    var token =
        volume(pod, "istio-token").getProjected().getSources().get(0).getServiceAccountToken();
    assertThat(token.getAudience()).isEqualTo("istio-ca");
    assertThat(token.getPath()).isEqualTo("istio-token");
    assertThat(volume(pod, "istiod-ca-cert").getConfigMap().getName())
        .isEqualTo("istio-ca-root-cert");
    assertThat(volume(pod, "istio-podinfo").getDownwardAPI().getItems()).hasSize(2);

    Map<String, String> labels = pod.getMetadata().getLabels();
    assertThat(labels)
        .containsEntry("security.istio.io/tlsMode", "istio")
        .containsEntry("service.istio.io/canonical-name", "productpage")
        .containsEntry("service.istio.io/canonical-revision", "v1");
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    assertThat(annotations)
        .containsEntry("istio.io/rev", "default")
        .containsEntry("kubectl.kubernetes.io/default-container", "productpage")
        .containsEntry("prometheus.io/port", "15020");
    JsonNode status = JSON.readTree(annotations.get("sidecar.istio.io/status"));
    assertThat(status.path("initContainers").get(0).asText()).isEqualTo("istio-init");
    assertThat(status.path("containers").get(0).asText()).isEqualTo("istio-proxy");
    assertThat(status.path("volumes")).hasSize(9);
    assertThat(status.path("revision").asText()).isEqualTo("default");
  }

  @Test
  void patchTurnsTheSubmittedPodIntoTheInjectedOne() throws Exception {
    ObjectNode original = pod();
    InjectionResult r = inject(config(v -> {}, null), original, ENABLED);
    assertThat(r.patch()).isNotEmpty();
    JsonNode patched = JsonPatch.apply(r.patch(), original);
    Pod fromPatch = Serialization.jsonMapper().treeToValue(patched, Pod.class);
    assertThat(Serialization.jsonMapper().valueToTree(fromPatch).toString())
        .isEqualTo(Serialization.jsonMapper().valueToTree(r.pod()).toString());
    r.patch().forEach(op -> assertThat(op.path("op").asText()).isIn("add", "replace"));
  }

  @Test
  void rewritesAppProbesThroughTheAgent() throws Exception {
    Pod pod = inject(config(v -> {}, null), pod(), ENABLED).pod();
    var probe = container(pod, "productpage").getReadinessProbe();
    assertThat(probe.getHttpGet().getPath()).isEqualTo("/app-health/productpage/readyz");
    assertThat(probe.getHttpGet().getPort().getIntVal()).isEqualTo(15020);
    JsonNode probers =
        JSON.readTree(env(container(pod, "istio-proxy")).get("ISTIO_KUBE_APP_PROBERS").getValue());
    JsonNode p = probers.path("/app-health/productpage/readyz");
    assertThat(p.path("httpGet").path("path").asText()).isEqualTo("/health");
    assertThat(p.path("httpGet").path("port").asInt()).isEqualTo(9080);
    assertThat(p.path("timeoutSeconds").asInt()).isEqualTo(2);
  }

  @Test
  void probeRewriteCanBeTurnedOff() throws Exception {
    ObjectNode pod = pod();
    ((ObjectNode) pod.path("metadata"))
        .putObject("annotations")
        .put("sidecar.istio.io/rewriteAppHTTPProbers", "false");
    Pod out = inject(config(v -> {}, null), pod, ENABLED).pod();
    assertThat(container(out, "productpage").getReadinessProbe().getHttpGet().getPath())
        .isEqualTo("/health");
    assertThat(env(container(out, "istio-proxy"))).doesNotContainKey("ISTIO_KUBE_APP_PROBERS");
  }

  @Test
  void injectedPodIsNotInjectedAgain() throws Exception {
    InjectionConfig cfg = config(v -> {}, null);
    InjectionResult first = inject(cfg, pod(), ENABLED);
    InjectionResult second = inject(cfg, JSON.valueToTree(first.pod()), ENABLED);
    assertThat(second.injected()).isFalse();
    assertThat(second.reason()).isEqualTo("pod already injected");
    assertThat(second.patch()).isEmpty();

    ObjectNode manual = pod();
    ((com.fasterxml.jackson.databind.node.ArrayNode) manual.path("spec").path("containers"))
        .addObject()
        .put("name", "istio-proxy")
        .put("image", "custom")
        .putArray("env")
        .addObject()
        .put("name", "MY_SETTING")
        .put("value", "mine");
    InjectionResult customised = inject(cfg, manual, ENABLED);
    assertThat(customised.injected())
        .as("a pod's own istio-proxy customises the injected one, as in Istio")
        .isTrue();
    Container proxy = container(customised.pod(), "istio-proxy");
    assertThat(proxy.getImage()).isEqualTo("custom");
    assertThat(env(proxy).get("MY_SETTING").getValue()).isEqualTo("mine");
    assertThat(env(proxy).get("ISTIO_META_CLUSTER_ID").getValue())
        .as("the cluster the injector is configured for wins, as in Istio")
        .isEqualTo("cluster-a");
    assertThat(env(proxy)).containsKeys("PROXY_CONFIG", "CA_ADDR");
    assertThat(proxy.getArgs()).startsWith("proxy", "sidecar");
    assertThat(names(customised.pod().getSpec().getContainers()))
        .containsExactly("productpage", "istio-proxy");
    assertThat(env(proxy).get("ISTIO_META_APP_CONTAINERS").getValue()).isEqualTo("productpage");
  }

  @Test
  void namespaceAndPodOptOut() throws Exception {
    InjectionConfig cfg = config(v -> {}, null);
    assertThat(inject(cfg, pod(), Map.of()).injected()).isFalse();
    assertThat(inject(cfg, pod(), Map.of("istio-injection", "disabled")).injected()).isFalse();
    assertThat(inject(cfg, pod(), Map.of("istio.io/rev", "canary")).injected()).isFalse();

    ObjectNode optOut = pod();
    ((ObjectNode) optOut.path("metadata"))
        .putObject("annotations")
        .put("sidecar.istio.io/inject", "false");
    InjectionResult r = inject(cfg, optOut, ENABLED);
    assertThat(r.injected()).isFalse();
    assertThat(r.patch()).isEmpty();

    ObjectNode optIn = pod();
    ((ObjectNode) optIn.path("metadata").path("labels")).put("sidecar.istio.io/inject", "true");
    assertThat(inject(cfg, optIn, Map.of()).injected()).isTrue();

    ObjectNode hostNetwork = pod();
    ((ObjectNode) hostNetwork.path("spec")).put("hostNetwork", true);
    assertThat(inject(cfg, hostNetwork, ENABLED).injected()).isFalse();

    InjectionResult system =
        new SidecarInjector(() -> cfg, "istio-system", ns -> ENABLED).inject(pod(), "kube-system");
    assertThat(system.injected()).isFalse();
  }

  @Test
  void revisionLabelSelectsRevisionedInjector() throws Exception {
    InjectionConfig cfg = config(v -> v.put("revision", "canary"), null);
    InjectionResult r = inject(cfg, pod(), Map.of("istio.io/rev", "canary"));
    assertThat(r.injected()).isTrue();
    assertThat(env(container(r.pod(), "istio-proxy")).get("CA_ADDR").getValue())
        .isEqualTo("istiod-canary.istio-system.svc:15012");
    assertThat(r.pod().getMetadata().getAnnotations()).containsEntry("istio.io/rev", "canary");
    assertThat(inject(cfg, pod(), ENABLED).injected()).isFalse();
  }

  @Test
  void cniModeHasNoIstioInit() throws Exception {
    InjectionConfig cfg =
        config(v -> ((ObjectNode) v.path("pilot").path("cni")).put("enabled", true), null);
    Pod pod = inject(cfg, pod(), ENABLED).pod();
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("istio-validation");
    Container validation = pod.getSpec().getInitContainers().get(0);
    assertThat(validation.getArgs()).contains("--run-validation", "--skip-rule-apply");
    assertThat(validation.getSecurityContext().getCapabilities().getAdd()).isEmpty();
    assertThat(validation.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry("traffic.sidecar.istio.io/excludeInboundPorts", "15020")
        .containsEntry("sidecar.istio.io/interceptionMode", "REDIRECT");
  }

  @Test
  void cniAsRenderedByTheInstaller() throws Exception {
    Map<String, String> data = InjectorFixtures.rendered(List.of("values.pilot.cni.enabled=true"));
    InjectionConfig cfg = InjectionConfig.parse(data, data.get("mesh"));
    Pod pod = inject(cfg, pod(), ENABLED).pod();
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("istio-validation");
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry("sidecar.istio.io/interceptionMode", "REDIRECT");
  }

  @Test
  void honoursValuesAndAnnotations() throws Exception {
    InjectionConfig cfg =
        config(
            v -> {
              ObjectNode proxy = (ObjectNode) v.path("global").path("proxy");
              proxy
                  .put("image", "my.registry/custom-proxy:7")
                  .put("logLevel", "debug")
                  .put("excludeOutboundPorts", "3306");
              ((ObjectNode) v.path("global")).put("imagePullPolicy", "Always");
            },
            null);
    ObjectNode pod = pod();
    ((ObjectNode) pod.path("metadata"))
        .putObject("annotations")
        .put("traffic.sidecar.istio.io/includeOutboundIPRanges", "10.0.0.0/8")
        .put("traffic.sidecar.istio.io/excludeInboundPorts", "9999")
        .put("sidecar.istio.io/proxyCPU", "50m")
        .put("sidecar.istio.io/logLevel", "trace")
        .put(
            "proxy.istio.io/config",
            "holdApplicationUntilProxyStarts: true\nproxyMetadata:\n  FOO: bar\n");
    Pod out = inject(cfg, pod, ENABLED).pod();
    Container proxy = out.getSpec().getContainers().get(0);
    assertThat(proxy.getName()).as("hold puts the proxy first").isEqualTo("istio-proxy");
    assertThat(proxy.getLifecycle().getPostStart().getExec().getCommand())
        .containsExactly("pilot-agent", "wait");
    assertThat(proxy.getImage()).isEqualTo("my.registry/custom-proxy:7");
    assertThat(proxy.getImagePullPolicy()).isEqualTo("Always");
    assertThat(proxy.getArgs()).contains("--proxyLogLevel=trace");
    assertThat(proxy.getResources().getRequests()).containsOnlyKeys("cpu");
    assertThat(env(proxy).get("FOO").getValue()).isEqualTo("bar");
    Container init = out.getSpec().getInitContainers().get(0);
    assertThat(init.getArgs())
        .containsSequence("-i", "10.0.0.0/8")
        .containsSequence("-d", "15090,15021,9999,15020")
        .containsSequence("-o", "3306");
    assertThat(init.getImage()).isEqualTo("registry.example.com/istio/proxyv2:1.24.0");
  }

  @Test
  void grpcAgentTemplate() throws Exception {
    ObjectNode pod = pod();
    ((ObjectNode) pod.path("metadata"))
        .putObject("annotations")
        .put("inject.istio.io/templates", "grpc-agent");
    InjectionResult r = inject(config(v -> {}, null), pod, ENABLED);
    Pod out = r.pod();
    assertThat(out.getSpec().getInitContainers()).isNullOrEmpty();
    Container proxy = container(out, "istio-proxy");
    Map<String, EnvVar> env = env(proxy);
    assertThat(env.get("DISABLE_ENVOY").getValue()).isEqualTo("true");
    assertThat(env.get("ISTIO_META_GENERATOR").getValue()).isEqualTo("grpc");
    assertThat(env.get("CA_ADDR").getValue()).isEqualTo("istiod.istio-system.svc:15012");
    assertThat(proxy.getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getName()).isEqualTo("istio-xds");
              assertThat(m.getMountPath()).isEqualTo("/etc/istio/proxy");
            });
    Container app = container(out, "productpage");
    assertThat(env(app).get("GRPC_XDS_BOOTSTRAP").getValue())
        .isEqualTo("/etc/istio/proxy/grpc-bootstrap.json");
    assertThat(app.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getName()).isEqualTo("istio-xds"));
    assertThat(app.getReadinessProbe().getHttpGet().getPath())
        .as("grpc-agent does not rewrite probes")
        .isEqualTo("/health");
    assertThat(out.getSpec().getVolumes())
        .extracting(Volume::getName)
        .contains("istio-xds", "istio-token", "istiod-ca-cert")
        .doesNotContain("istio-envoy");
    assertThat(out.getMetadata().getAnnotations())
        .containsEntry("sidecar.istio.io/rewriteAppHTTPProbers", "false");
    assertThat(out.getMetadata().getLabels()).doesNotContainKey("security.istio.io/tlsMode");
  }

  @Test
  void customTemplateFromTheInstallerValuesIsHonoured() throws Exception {
    String iop =
        """
        apiVersion: install.istio.io/v1alpha1
        kind: IstioOperator
        spec:
          values:
            sidecarInjectorWebhook:
              defaultTemplates: [sidecar, debug]
              templates:
                debug: |
                  metadata:
                    labels:
                      debug.example.com/owner: {{ .DeploymentMeta.Name | quote }}
                  spec:
                    containers:
                    - name: debug-agent
                      image: {{ printf "%s/debug:%s" .Values.global.hub .Values.global.tag | quote }}
                      env:
                      - name: WATCH
                        value: {{ (index .Spec.Containers 0).Name | quote }}
                    - name: istio-proxy
                      env:
                      - name: EXTRA
                        value: "1"
        """;
    Map<String, String> data = InjectorFixtures.rendered(List.of(iop), List.of());
    InjectionConfig cfg = InjectionConfig.parse(data, data.get("mesh"));
    InjectionResult r = inject(cfg, pod(), ENABLED);
    Pod out = r.pod();
    assertThat(out.getMetadata().getLabels())
        .containsEntry("debug.example.com/owner", "productpage")
        .containsEntry("security.istio.io/tlsMode", "istio");
    assertThat(names(out.getSpec().getContainers()))
        .as(
            "strategic merge puts the debug template's new container before the pod's own, as"
                + " Istio's injector does; only istio-proxy is then moved last")
        .containsExactly("debug-agent", "productpage", "istio-proxy");
    Container debug = container(out, "debug-agent");
    assertThat(debug.getImage())
        .isEqualTo(cfg.text("global.hub", "") + "/debug:" + cfg.text("global.tag", ""));
    assertThat(env(debug).get("WATCH").getValue()).isEqualTo("productpage");
    Map<String, EnvVar> proxyEnv = env(container(out, "istio-proxy"));
    assertThat(proxyEnv.get("EXTRA").getValue())
        .as("the second template merges into the first one's container by name")
        .isEqualTo("1");
    assertThat(proxyEnv).containsKey("PROXY_CONFIG");
    JsonNode status =
        JSON.readTree(out.getMetadata().getAnnotations().get("sidecar.istio.io/status"));
    assertThat(status.path("containers").toString()).contains("debug-agent", "istio-proxy");
  }

  @Test
  void deploymentMetaFollowsPodTemplateHash() throws Exception {
    ObjectNode pod = pod();
    ((ObjectNode) pod.path("metadata").path("labels")).put("pod-template-hash", "x1");
    ((ObjectNode) pod.path("metadata").path("ownerReferences").get(0)).put("name", "web-x1");
    Map<String, EnvVar> env =
        env(container(inject(config(v -> {}, null), pod, ENABLED).pod(), "istio-proxy"));
    assertThat(env.get("ISTIO_META_WORKLOAD_NAME").getValue()).isEqualTo("web");
    assertThat(env.get("ISTIO_META_OWNER").getValue())
        .isEqualTo("kubernetes://apis/apps/v1/namespaces/bookinfo/deployments/web");

    ObjectNode bare = pod();
    ((ObjectNode) bare.path("metadata")).remove("ownerReferences");
    Map<String, EnvVar> bareEnv =
        env(container(inject(config(v -> {}, null), bare, ENABLED).pod(), "istio-proxy"));
    assertThat(bareEnv.get("ISTIO_META_OWNER").getValue())
        .isEqualTo("kubernetes://apis/v1/namespaces/bookinfo/pods/productpage-7d9c8b6f5-abcde");
  }

  @Test
  void gatewayTemplateInjectsTheProxyOnly() throws Exception {
    ObjectNode pod = pod();
    ((ObjectNode) pod.path("metadata"))
        .putObject("annotations")
        .put("inject.istio.io/templates", "gateway");
    Pod out = inject(config(v -> {}, null), pod, ENABLED).pod();
    assertThat(names(out.getSpec().getContainers())).containsExactly("productpage", "istio-proxy");
    assertThat(out.getSpec().getInitContainers()).isNullOrEmpty();
    assertThat(container(out, "istio-proxy").getImage())
        .isEqualTo("registry.example.com/istio/proxyv2:1.24.0");
    assertThat(env(container(out, "istio-proxy")).get("CA_ADDR").getValue())
        .isEqualTo("istiod.istio-system.svc:15012");
  }

  @Test
  void templateErrorsNameTemplateAndLine() throws Exception {
    InjectionConfig broken =
        InjectionConfig.parse(
            Map.of(
                "values",
                "{}",
                "config",
                InjectorFixtures.config(
                    "enabled",
                    Map.of(
                        "sidecar", "metadata:\n  labels:\n    x: {{ .ObjectMeta.Name.Foo }}\n"))),
            null);
    assertThatThrownBy(() -> inject(broken, pod(), ENABLED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "template: sidecar:3: executing \"sidecar\" at <.ObjectMeta.Name.Foo>: can't evaluate"
                + " field Foo in type string");
    assertThatThrownBy(
            () ->
                InjectionConfig.parse(
                    Map.of("config", "templates:\n  bad: \"a\\n{{ nosuch }}\"\n"), null))
        .hasMessage("config.templates.bad: template: bad:2: function \"nosuch\" not defined");
    assertThatThrownBy(() -> inject(InjectionConfig.defaults(), pod(), ENABLED))
        .hasMessageContaining("requested injection template \"sidecar\" not found");
  }

  @Test
  void badInputNamesTheField() throws Exception {
    InjectionConfig cfg = config(v -> {}, null);
    ObjectNode unknown = pod();
    ((ObjectNode) unknown.path("metadata"))
        .putObject("annotations")
        .put("inject.istio.io/templates", "nosuch");
    assertThatThrownBy(() -> inject(cfg, unknown, ENABLED))
        .hasMessageContaining("requested injection template \"nosuch\" not found");

    ObjectNode badConfig = pod();
    ((ObjectNode) badConfig.path("metadata"))
        .putObject("annotations")
        .put("proxy.istio.io/config", "[1, 2]");
    assertThatThrownBy(() -> inject(cfg, badConfig, ENABLED))
        .hasMessageContaining("metadata.annotations[proxy.istio.io/config]");

    ObjectNode badPod = pod();
    ((ObjectNode) badPod.path("spec")).put("containers", "nope");
    assertThatThrownBy(() -> inject(cfg, badPod, ENABLED)).hasMessageContaining("spec.containers");

    assertThatThrownBy(() -> InjectionConfig.parse(Map.of("values", "{not json"), null))
        .hasMessageStartingWith("values: cannot parse");
  }

  private static Volume volume(Pod pod, String name) {
    return pod.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  static List<String> names(List<Container> cs) {
    return cs.stream().map(Container::getName).toList();
  }
}
