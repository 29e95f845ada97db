package dev.isthmus.controlplane.webhooks.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How a template is merged into the pod: Kubernetes' strategic merge patch with corev1.Pod's patch
 * metadata, as Istio's injector (directives included, container ports keyed by containerPort).
 */
class TemplateMergeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Injects the sample pod with only the template {@code custom}. */
  static Pod inject(String custom) throws Exception {
    return inject(Map.of("custom", custom), "custom");
  }

  /** Injects the sample pod with {@code templates}, applying those named in {@code use}. */
  static Pod inject(Map<String, String> templates, String use) throws Exception {
    ObjectNode values = (ObjectNode) JSON.readTree(SidecarInjectorTest.resource("values.json"));
    InjectionConfig cfg =
        InjectionConfig.parse(
            Map.of(
                "values",
                values.toString(),
                "config",
                InjectorFixtures.config("enabled", templates)),
            null);
    ObjectNode pod = SidecarInjectorTest.pod();
    ((ObjectNode) pod.path("metadata"))
        .putObject("annotations")
        .put("inject.istio.io/templates", use);
    return SidecarInjectorTest.inject(cfg, pod, Map.of("istio-injection", "enabled")).pod();
  }

  @Test
  void templatesMayUseStrategicMergeDirectives() throws Exception {
    // Istio's pkg/kube/inject TestStrategicMerge
    Pod pod =
        inject(
            """
            metadata:
              labels:
                $patch: replace
                foo: bar
            spec:
              containers:
              - name: injected
                image: "fake.docker.io/google-samples/hello-go-gke:1.1"
            """);
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("foo", "bar")
        .doesNotContainKeys("app", "version", "$patch");
    assertThat(SidecarInjectorTest.names(pod.getSpec().getContainers()))
        .containsExactly("injected", "productpage");
  }

  @Test
  void containerPortsMergeByContainerPortAsInIstio() throws Exception {
    Pod pod =
        inject(
            Map.of(
                "tcp",
                """
                spec:
                  containers:
                  - name: dns-agent
                    image: dns
                    ports:
                    - {containerPort: 53, protocol: TCP, name: dns-tcp}
                    - {containerPort: 9153, name: metrics}
                """,
                "udp",
                """
                spec:
                  containers:
                  - name: dns-agent
                    ports:
                    - {containerPort: 53, protocol: UDP, name: dns}
                """),
            "tcp,udp");
    assertThat(SidecarInjectorTest.container(pod, "dns-agent").getPorts())
        .extracting(p -> p.getContainerPort() + "/" + p.getProtocol() + "/" + p.getName())
        .as("53/UDP replaces 53/TCP: Kubernetes' patchMergeKey is containerPort alone")
        .containsExactly("53/UDP/dns", "9153/null/metrics");
  }

  @Test
  void aTemplateThatCannotBeMergedNamesTheTemplateAndField() {
    assertThatThrownBy(
            () ->
                inject(
                    """
                    spec:
                      containers:
                      - name: istio-proxy
                      - image: nameless
                    """))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "injection template \"custom\" cannot be merged into the pod:"
                + " spec.containers[1]: missing name, the key to merge by");
  }
}
