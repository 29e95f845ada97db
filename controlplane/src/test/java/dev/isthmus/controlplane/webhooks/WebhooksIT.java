package dev.isthmus.controlplane.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Registers real webhook configurations (clientConfig.url to the local server, caBundle of a test
 * certificate) with a real kube-apiserver and drives them through ordinary creates. All objects are
 * scoped to namespaces carrying a per-run label so other tests sharing the API server are not
 * affected.
 */
@WithKubeApiServer
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhooksIT {
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final String controlPlaneNs = "wh-cp-" + run;
  private final String meshNs = "wh-mesh-" + run;
  private final String plainNs = "wh-plain-" + run;
  private final String validateName = "wh-it-validate-" + run;
  private final String injectName = "wh-it-inject-" + run;
  private final String taggedName = "wh-it-tagged-" + run;
  private KubernetesClient client;
  private TestCertificates certs;
  private Webhooks webhooks;
  private MutableRoot root;

  /** A CA root that can be rotated by the test. */
  static final class MutableRoot implements CaRootSource {
    private volatile String pem;
    private final java.util.List<Runnable> listeners =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    MutableRoot(String pem) {
      this.pem = pem;
    }

    @Override
    public String rootPem() {
      return pem;
    }

    @Override
    public AutoCloseable onChange(Runnable listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }

    void rotate(String newPem) {
      pem = newPem;
      listeners.forEach(Runnable::run);
    }
  }

  @BeforeAll
  void start(KubernetesClient client) throws Exception {
    this.client = client;
    certs = TestCertificates.selfSigned();
    root = new MutableRoot(certs.pem());
    namespace(controlPlaneNs, Map.of());
    namespace(meshNs, Map.of("istio-injection", "enabled", "webhooks-it", run));
    namespace(plainNs, Map.of("webhooks-it", run));
    String values;
    try (InputStream in = getClass().getResourceAsStream("/webhooks/inject/values.json")) {
      values = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    client
        .configMaps()
        .inNamespace(controlPlaneNs)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("istio-sidecar-injector")
                .endMetadata()
                .withData(
                    Map.of(
                        "values",
                        values,
                        "config",
                        dev.isthmus.controlplane.webhooks.inject.InjectorFixtures.config(
                            "enabled", Map.of())))
                .build())
        .create();
    webhooks =
        Webhooks.start(
            client,
            Webhooks.Config.of(controlPlaneNs, "default").withListen("127.0.0.1", 0),
            certs.servingTls(),
            root);
    String base = "https://127.0.0.1:" + webhooks.port();
    String caBundle =
        Base64.getEncoder().encodeToString(certs.pem().getBytes(StandardCharsets.UTF_8));
    client
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .resource(
            new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata()
                .withName(validateName)
                .endMetadata()
                .addNewWebhook()
                .withName("rev.validation.istio.io")
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy("Fail")
                .withTimeoutSeconds(10)
                .withNewClientConfig()
                .withUrl(base + "/validate")
                .withCaBundle(caBundle)
                .endClientConfig()
                .withNewNamespaceSelector()
                .addToMatchLabels("webhooks-it", run)
                .endNamespaceSelector()
                .addNewRule()
                .withApiGroups("networking.istio.io", "security.istio.io", "telemetry.istio.io")
                .withApiVersions("*")
                .withOperations("CREATE", "UPDATE")
                .withResources("*")
                .endRule()
                .endWebhook()
                .build())
        .create();
    client
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .resource(
            new MutatingWebhookConfigurationBuilder()
                .withNewMetadata()
                .withName(injectName)
                .endMetadata()
                .addNewWebhook()
                .withName("namespace.sidecar-injector.istio.io")
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy("Fail")
                .withReinvocationPolicy("Never")
                .withTimeoutSeconds(10)
                .withNewClientConfig()
                .withUrl(base + "/inject/cluster/Kubernetes/net/")
                .withCaBundle(caBundle)
                .endClientConfig()
                .withNewNamespaceSelector()
                .addToMatchLabels("webhooks-it", run)
                .endNamespaceSelector()
                .addNewRule()
                .withApiGroups("")
                .withApiVersions("v1")
                .withOperations("CREATE")
                .withResources("pods")
                .endRule()
                .endWebhook()
                .build())
        .create();
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client
          .admissionRegistration()
          .v1()
          .validatingWebhookConfigurations()
          .withName(validateName)
          .delete();
      client
          .admissionRegistration()
          .v1()
          .mutatingWebhookConfigurations()
          .withName(injectName)
          .delete();
      client
          .admissionRegistration()
          .v1()
          .mutatingWebhookConfigurations()
          .withName(injectorWebhook())
          .delete();
      client
          .admissionRegistration()
          .v1()
          .validatingWebhookConfigurations()
          .withName(taggedName)
          .delete();
      for (String ns : new String[] {controlPlaneNs, meshNs, plainNs}) {
        client.namespaces().withName(ns).delete();
      }
    }
    if (webhooks != null) {
      webhooks.close();
    }
  }

  /**
   * The name the installer gives the injector configuration of a control plane outside
   * istio-system.
   */
  private String injectorWebhook() {
    return "istio-sidecar-injector-" + controlPlaneNs;
  }

  private void namespace(String name, Map<String, String> labels) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .build())
        .create();
    // No controller-manager runs here, so the default ServiceAccount pods refer to must be created
    // by hand.
    client
        .serviceAccounts()
        .inNamespace(name)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("default").endMetadata().build())
        .createOr(r -> r.update());
  }

  private VirtualService virtualService(String name, String subset) {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination:
                host: reviews
                subset: %s
        """
            .formatted(name, subset);
    return Serialization.unmarshal(yaml, VirtualService.class);
  }

  /**
   * The API server picks up new webhook configurations asynchronously; retry until {@code attempt}
   * stops returning null (it returns null while the webhook is not yet in effect).
   */
  private static <T> T eventually(Supplier<T> attempt) throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      T t = attempt.get();
      if (t != null) {
        return t;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("webhook never took effect");
  }

  @Test
  void invalidVirtualServiceIsRejectedWithTheMessage() throws Exception {
    VirtualService bad = virtualService("bad-subset", "v1_beta");
    KubernetesClientException e =
        eventually(
            () -> {
              try {
                client.resource(bad).inNamespace(plainNs).create();
                client.resource(bad).inNamespace(plainNs).delete();
                return null;
              } catch (KubernetesClientException ex) {
                return ex;
              }
            });
    assertThat(e.getMessage())
        .contains("admission webhook \"rev.validation.istio.io\" denied the request")
        .contains(
            "configuration is invalid: spec.http[0].route[0].destination.subset: subset is invalid: \"v1_beta\"");
    assertThat(
            client
                .resources(VirtualService.class)
                .inNamespace(plainNs)
                .withName("bad-subset")
                .get())
        .isNull();
  }

  @Test
  void validVirtualServiceIsAccepted() throws Exception {
    eventually(
        () -> {
          try {
            client
                .resource(
                    virtualService(
                        "probe-" + UUID.randomUUID().toString().substring(0, 6), "v1_beta"))
                .inNamespace(plainNs)
                .create();
            return null;
          } catch (KubernetesClientException ex) {
            return ex;
          }
        });
    VirtualService created =
        client.resource(virtualService("good", "v1")).inNamespace(plainNs).create();
    assertThat(created.getMetadata().getUid()).isNotEmpty();
  }

  private Pod newPod(String name, Map<String, String> annotations) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("app", "web")
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName("default")
        .addNewContainer()
        .withName("web")
        .withImage("nginx:1.27")
        .addNewPort()
        .withContainerPort(8080)
        .withName("http")
        .endPort()
        .endContainer()
        .endSpec()
        .build();
  }

  private Pod createPodOnceInjectorActive(String ns, Pod pod) throws InterruptedException {
    return eventually(
        () -> {
          Pod created = client.pods().inNamespace(ns).resource(pod).create();
          if (created.getSpec().getContainers().size() > 1) {
            return created;
          }
          client.pods().inNamespace(ns).resource(created).withGracePeriod(0).delete();
          client
              .pods()
              .inNamespace(ns)
              .withName(pod.getMetadata().getName())
              .waitUntilCondition(p -> p == null, 30, TimeUnit.SECONDS);
          return null;
        });
  }

  @Test
  void podInLabelledNamespaceGetsTheSidecar() throws Exception {
    Pod pod = createPodOnceInjectorActive(meshNs, newPod("web-1", Map.of()));
    assertThat(pod.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("web", "istio-proxy");
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("istio-init");
    Container proxy = pod.getSpec().getContainers().get(1);
    assertThat(proxy.getImage()).isEqualTo("registry.example.com/istio/proxyv2:1.24.0");
    assertThat(proxy.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("CA_ADDR");
              assertThat(e.getValue()).isEqualTo("istiod.istio-system.svc:15012");
            });
    assertThat(proxy.getEnv())
        .extracting(e -> e.getName())
        .contains(
            "PROXY_CONFIG",
            "POD_NAME",
            "POD_NAMESPACE",
            "INSTANCE_IP",
            "SERVICE_ACCOUNT",
            "ISTIO_META_CLUSTER_ID");
    assertThat(pod.getSpec().getVolumes())
        .extracting(Volume::getName)
        .contains("istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert");
    assertThat(pod.getMetadata().getAnnotations()).containsKey("sidecar.istio.io/status");
    assertThat(pod.getMetadata().getLabels()).containsEntry("security.istio.io/tlsMode", "istio");

    // The stored object carries the sidecar too, and re-submitting it does not inject twice.
    Pod stored = client.pods().inNamespace(meshNs).withName("web-1").get();
    assertThat(stored.getSpec().getContainers()).hasSize(2);
    Pod again =
        new PodBuilder(stored)
            .editMetadata()
            .withName("web-1-again")
            .withResourceVersion(null)
            .withUid(null)
            .withCreationTimestamp(null)
            .endMetadata()
            .withStatus(null)
            .build();
    Pod resubmitted = client.pods().inNamespace(meshNs).resource(again).create();
    assertThat(resubmitted.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("web", "istio-proxy");
    assertThat(resubmitted.getSpec().getInitContainers()).hasSize(1);
  }

  @Test
  void podThatOptsOutAndPodInUnlabelledNamespaceAreUntouched() throws Exception {
    createPodOnceInjectorActive(meshNs, newPod("probe-inject", Map.of()));
    Pod optOut =
        client
            .pods()
            .inNamespace(meshNs)
            .resource(newPod("web-optout", Map.of("sidecar.istio.io/inject", "false")))
            .create();
    assertThat(optOut.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("web");
    assertThat(optOut.getMetadata().getAnnotations()).doesNotContainKey("sidecar.istio.io/status");
    Pod plain = client.pods().inNamespace(plainNs).resource(newPod("web-plain", Map.of())).create();
    assertThat(plain.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("web");
    assertThat(plain.getSpec().getInitContainers()).isEmpty();
  }

  @Test
  void caBundleSyncPatchesTheInjectorConfiguration() throws Exception {
    MutatingWebhookConfiguration mwc =
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .resource(
                new MutatingWebhookConfigurationBuilder()
                    .withNewMetadata()
                    .withName(injectorWebhook())
                    .endMetadata()
                    .addNewWebhook()
                    .withName("rev.namespace.sidecar-injector.istio.io")
                    .withAdmissionReviewVersions("v1")
                    .withSideEffects("None")
                    .withFailurePolicy("Ignore")
                    .withNewClientConfig()
                    .withNewService()
                    .withName("istiod")
                    .withNamespace(controlPlaneNs)
                    .withPath("/inject")
                    .withPort(443)
                    .endService()
                    .endClientConfig()
                    .withNewNamespaceSelector()
                    .addToMatchLabels("never-matches-" + run, "x")
                    .endNamespaceSelector()
                    .addNewRule()
                    .withApiGroups("")
                    .withApiVersions("v1")
                    .withOperations("CREATE")
                    .withResources("pods")
                    .endRule()
                    .endWebhook()
                    .build())
            .createOr(r -> r.update());
    assertThat(mwc.getWebhooks().get(0).getClientConfig().getCaBundle()).isNull();
    String expected =
        Base64.getEncoder().encodeToString(certs.pem().getBytes(StandardCharsets.UTF_8));
    MutatingWebhookConfiguration synced =
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName(injectorWebhook())
            .waitUntilCondition(
                c ->
                    c != null
                        && expected.equals(c.getWebhooks().get(0).getClientConfig().getCaBundle()),
                60,
                TimeUnit.SECONDS);
    assertThat(synced.getWebhooks().get(0).getClientConfig().getCaBundle()).isEqualTo(expected);

    // Root rotation: the new root is patched in.
    String rotatedPem = TestCertificates.selfSigned().pem();
    String rotated =
        Base64.getEncoder().encodeToString(rotatedPem.getBytes(StandardCharsets.UTF_8));
    root.rotate(rotatedPem);
    MutatingWebhookConfiguration afterRotation =
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName(injectorWebhook())
            .waitUntilCondition(
                c -> rotated.equals(c.getWebhooks().get(0).getClientConfig().getCaBundle()),
                60,
                TimeUnit.SECONDS);
    assertThat(afterRotation.getWebhooks().get(0).getClientConfig().getCaBundle())
        .isEqualTo(rotated);
  }

  @Test
  void caBundleSyncPatchesConfigurationsLabelledWithTheRevision() throws Exception {
    CaBundleLeaseIT.create(client, taggedName, run);
    var synced =
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(taggedName)
            .waitUntilCondition(
                c ->
                    root.rootPem()
                        .equals(
                            new String(
                                Base64.getDecoder()
                                    .decode(
                                        String.valueOf(
                                                c.getWebhooks()
                                                    .get(0)
                                                    .getClientConfig()
                                                    .getCaBundle())
                                            .replace("null", "")),
                                StandardCharsets.UTF_8)),
                60,
                TimeUnit.SECONDS);
    assertThat(synced.getWebhooks().get(0).getClientConfig().getCaBundle()).isNotEmpty();
  }

  @Test
  void undecodableRequestIsAnAdmissionErrorNotACrash() throws Exception {
    var http = java.net.http.HttpClient.newBuilder().sslContext(trusting()).build();
    var response =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("https://127.0.0.1:" + webhooks.port() + "/validate"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{not json"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
    assertThat(body.path("response").path("allowed").asBoolean(true)).isFalse();
    assertThat(body.path("response").path("status").path("message").asText())
        .startsWith("body: not valid JSON");

    var base = "https://127.0.0.1:" + webhooks.port();
    var unknownPath =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/injector"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(unknownPath.statusCode()).isEqualTo(404);
    var get =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/inject"))
                .GET()
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
  }

  private javax.net.ssl.SSLContext trusting() throws Exception {
    return certs.trusting();
  }
}
