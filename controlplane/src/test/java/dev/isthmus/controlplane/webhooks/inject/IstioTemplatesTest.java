package dev.isthmus.controlplane.webhooks.inject;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Evaluates Istio's own injection templates, read at test time from the conformance output of
 * {@code istioctl manifest generate} (the {@code istio-sidecar-injector} ConfigMap of the default
 * profile), against a sample pod: the engine must support every construct and function they use.
 */
class IstioTemplatesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> ENABLED = Map.of("istio-injection", "enabled");

  static InjectionConfig istioConfig() throws Exception {
    return IstioInjectorCorpus.read().config();
  }

  private static Map<String, EnvVar> env(Container c) {
    Map<String, EnvVar> m = new HashMap<>();
    c.getEnv().forEach(e -> m.put(e.getName(), e));
    return m;
  }

  @Test
  void istioSidecarTemplateInjectsProxyInitVolumesAndEnv() throws Exception {
    InjectionConfig cfg = istioConfig();
    assertThat(cfg.templates())
        .containsKeys(
            "sidecar", "gateway", "grpc-agent", "grpc-simple", "waypoint", "kube-gateway");
    ObjectNode submitted = SidecarInjectorTest.pod();
    InjectionResult r =
        new SidecarInjector(() -> cfg, "istio-system", ns -> ENABLED).inject(submitted, "bookinfo");
    assertThat(r.injected()).isTrue();
    Pod pod = r.pod();

    assertThat(pod.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("productpage", "istio-proxy");
    Container init = pod.getSpec().getInitContainers().get(0);
    assertThat(init.getName()).isEqualTo("istio-init");
    assertThat(init.getArgs())
        .containsSequence("-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT")
        .containsSequence("-d", "15090,15021,15020");
    Container proxy = SidecarInjectorTest.container(pod, "istio-proxy");
    assertThat(proxy.getImage()).endsWith("/proxyv2:" + cfg.text("global.tag", "?"));
    assertThat(proxy.getArgs()).startsWith("proxy", "sidecar", "--domain");
    Map<String, EnvVar> env = env(proxy);
    assertThat(env.get("CA_ADDR").getValue()).isEqualTo("istiod.istio-system.svc:15012");
    assertThat(env.get("ISTIO_META_APP_CONTAINERS").getValue()).isEqualTo("productpage");
    assertThat(env.get("ISTIO_META_WORKLOAD_NAME").getValue()).isEqualTo("productpage");
    assertThat(env.get("ISTIO_META_OWNER").getValue())
        .isEqualTo("kubernetes://apis/apps/v1/namespaces/bookinfo/deployments/productpage");
    assertThat(
            JSON.readTree(env.get("ISTIO_META_POD_PORTS").getValue())
                .get(0)
                .path("containerPort")
                .asInt())
        .isEqualTo(9080);
    assertThat(env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(env).containsKey("ISTIO_KUBE_APP_PROBERS");
    assertThat(proxy.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
    assertThat(proxy.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(pod.getSpec().getVolumes())
        .extracting(Volume::getName)
        .contains(
            "workload-socket",
            "credential-socket",
            "workload-certs",
            "istio-envoy",
            "istio-data",
            "istio-podinfo",
            "istio-token",
            "istiod-ca-cert",
            "istio-ca-crl");
    assertThat(
            pod.getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("workload-socket"))
                .findFirst()
                .orElseThrow()
                .getEmptyDir())
        .as("a volume rendered without source is an emptyDir")
        .isNotNull();
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("security.istio.io/tlsMode", "istio")
        .containsEntry("service.istio.io/canonical-name", "productpage");
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry("kubectl.kubernetes.io/default-container", "productpage")
        .containsKey("sidecar.istio.io/status");
  }

  @Test
  void istioGrpcAgentTemplate() throws Exception {
    InjectionConfig cfg = istioConfig();
    ObjectNode submitted = SidecarInjectorTest.pod();
    ((ObjectNode) submitted.path("metadata"))
        .putObject("annotations")
        .put("inject.istio.io/templates", "grpc-agent");
    Pod pod =
        new SidecarInjector(() -> cfg, "istio-system", ns -> ENABLED)
            .inject(submitted, "bookinfo")
            .pod();
    Container proxy = SidecarInjectorTest.container(pod, "istio-proxy");
    assertThat(env(proxy).get("ISTIO_META_GENERATOR").getValue()).isEqualTo("grpc");
    assertThat(env(SidecarInjectorTest.container(pod, "productpage")))
        .containsKey("GRPC_XDS_BOOTSTRAP");
    assertThat(pod.getSpec().getInitContainers()).isNullOrEmpty();
  }
}
