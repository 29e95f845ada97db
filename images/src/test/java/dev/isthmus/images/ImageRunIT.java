package dev.isthmus.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.Rollouts;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import dev.isthmus.translate.render.IstiodDeployment;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs what is in the image archives: each archive's layers are applied onto a folder and its
 * entrypoint and default arguments run there with its environment and user, in a {@link Sandbox}
 * with a read-only root and a tmpfs {@code /tmp}, against the test API server (reached over the
 * host's loopback; its kubeconfig is copied into {@code /tmp}).
 *
 * <p>There is no kubelet: the operator's rollouts are marked complete by the test ({@link
 * Rollouts#markComplete}), as the Deployment controller would once the Pods ran. The control plane
 * runs with its fixed ports (8080, 15010, 15012, 15014, 15017) on the host's loopback.
 */
@WithKubeApiServer
class ImageRunIT {
  static final Path DIR = Path.of(System.getProperty("images.dir", "target"));
  static final String TAG = System.getProperty("images.tag", IstiodDeployment.TAG);
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  private final List<Process> sandboxes = new ArrayList<>();

  @BeforeAll
  static void sandboxAvailable() {
    String why = Sandbox.unavailable();
    if (why != null) {
      if ("true".equals(System.getenv("CI"))) {
        fail(why);
      }
      Assumptions.abort(why);
    }
  }

  @AfterEach
  void stopSandboxes() throws InterruptedException {
    for (Process p : sandboxes) {
      Sandbox.stop(p);
    }
  }

  @Test
  void theOperatorImageReconcilesAnIstioOperatorToHealthy(KubernetesClient client)
      throws Exception {
    String ns = "isthmus-image-operator";
    ImageArchive image = archive("isthmus-operator");
    assertThat(image.repoTags()).containsExactly("isthmus/isthmus-operator:" + TAG);
    assertThat(image.command()).endsWith("operator");
    Path rootfs = image.unpack(DIR.resolve("rootfs/isthmus-operator"));
    namespace(client, ns);

    long start = System.nanoTime();
    // as the CSV's Deployment runs it: its arguments replace the image's, and OLM sets the
    // namespaces; the health port is ephemeral so that nothing else on the host is in the way
    Process p =
        sandbox(
            image,
            rootfs,
            Map.of(
                "POD_NAMESPACE",
                ns,
                "WATCH_NAMESPACE",
                ns,
                "POD_NAME",
                "isthmus-operator-image",
                "HOSTNAME",
                "isthmus-operator-image"),
            concat(image.command(), "--crds=external", "--http-port", "0"));
    IstioOperator iop =
        Serialization.unmarshal(
            """
            apiVersion: install.istio.io/v1alpha1
            kind: IstioOperator
            metadata:
              name: from-image
              namespace: %1$s
            spec:
              profile: default
              values:
                global:
                  istioNamespace: %1$s
                pilot:
                  autoscaleEnabled: false
                gateways:
                  istio-ingressgateway:
                    autoscaleEnabled: false
            """
                .formatted(ns),
            IstioOperator.class);
    Resource<IstioOperator> live =
        client.resources(IstioOperator.class).inNamespace(ns).resource(iop);
    live.create();
    RenderResult expected = Translator.render(live.get());
    for (ObjectNode o : expected.objects()) {
      if (!o.path("kind").asText().equals("Deployment")) {
        continue;
      }
      var d =
          client
              .apps()
              .deployments()
              .inNamespace(o.path("metadata").path("namespace").asText())
              .withName(o.path("metadata").path("name").asText());
      await().atMost(TIMEOUT).failFast(() -> assertAlive(p, image)).until(() -> d.get() != null);
      Rollouts.markComplete(client, d.get());
    }
    await()
        .atMost(TIMEOUT)
        .failFast(() -> assertAlive(p, image))
        .until(
            () ->
                live.get().getStatus() != null
                    && live.get().getStatus().status == InstallStatus.HEALTHY);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    assertThat(Sandbox.uidOf(p, "java")).as("the operator's uid").isEqualTo(65532);
    var istiod = client.apps().deployments().inNamespace(ns).withName("istiod").get();
    assertThat(istiod.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .as("the control plane image the operator installs is the one built beside it")
        .isEqualTo("isthmus/isthmus-controlplane:" + TAG);
    System.out.println(
        "[image] isthmus-operator: " + digest(image) + " HEALTHY in " + seconds + " s");

    live.delete();
    await().atMost(TIMEOUT).failFast(() -> assertAlive(p, image)).until(() -> live.get() == null);
  }

  @Test
  void theControlPlaneImageIsReadyAndServesXds(KubernetesClient client) throws Exception {
    String ns = "isthmus-image-controlplane";
    ImageArchive image = archive("isthmus-controlplane");
    assertThat(image.repoTags()).containsExactly("isthmus/isthmus-controlplane:" + TAG);
    assertThat(image.command()).endsWith("controlplane");
    assertControlPlanePortsFree();
    Path rootfs = image.unpack(DIR.resolve("rootfs/isthmus-controlplane"));
    namespace(client, ns);

    long start = System.nanoTime();
    Process p = sandbox(image, rootfs, Map.of("POD_NAMESPACE", ns), image.command());
    awaitReady(p, image);
    long ready = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    assertThat(Sandbox.uidOf(p, "java")).as("the control plane's uid").isEqualTo(65532);

    ManagedChannel ch =
        Grpc.newChannelBuilder("127.0.0.1:15010", InsecureChannelCredentials.create()).build();
    try {
      BlockingQueue<Object> in = new LinkedBlockingQueue<>();
      StreamObserver<DiscoveryRequest> out =
          AggregatedDiscoveryServiceGrpc.newStub(ch)
              .streamAggregatedResources(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(DiscoveryResponse r) {
                      in.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                      in.add(t);
                    }

                    @Override
                    public void onCompleted() {
                      in.add("completed");
                    }
                  });
      String cds = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
      out.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(
                  Node.newBuilder()
                      .setId("sidecar~10.1.0.9~probe." + ns + "~" + ns + ".svc.cluster.local"))
              .setTypeUrl(cds)
              .build());
      Object first = in.poll(60, TimeUnit.SECONDS);
      assertThat(first).as("the answer to a CDS request").isInstanceOf(DiscoveryResponse.class);
      DiscoveryResponse response = (DiscoveryResponse) first;
      assertThat(response.getTypeUrl()).isEqualTo(cds);
      assertThat(response.getVersionInfo()).isNotEmpty();
      out.onCompleted();
      System.out.println(
          "[image] isthmus-controlplane: "
              + digest(image)
              + " ready in "
              + ready
              + " s, CDS answered with "
              + response.getResourcesCount()
              + " clusters");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * The istiod Deployment rendered by translate runs the control plane image with istiod's own
   * arguments ({@code discovery --monitoringAddr=:15014 --domain ...}), which replace the image's
   * {@code controlplane}: the launcher takes them as {@code isthmus discovery}.
   */
  @Test
  void theControlPlaneImageRunsWithTheRenderedIstiodDeploymentsArguments(KubernetesClient client)
      throws Exception {
    String ns = "isthmus-image-istiod";
    ImageArchive image = archive("isthmus-controlplane");
    assertControlPlanePortsFree();
    IstioOperator iop =
        Serialization.unmarshal(
            """
            apiVersion: install.istio.io/v1alpha1
            kind: IstioOperator
            metadata:
              name: args
              namespace: %1$s
            spec:
              profile: default
              values:
                global:
                  istioNamespace: %1$s
            """
                .formatted(ns),
            IstioOperator.class);
    List<String> args =
        Translator.render(iop).objects().stream()
            .filter(
                o ->
                    o.path("kind").asText().equals("Deployment")
                        && o.path("metadata").path("name").asText().equals("istiod"))
            .findFirst()
            .map(
                o -> {
                  List<String> a = new ArrayList<>();
                  o.at("/spec/template/spec/containers/0/args").forEach(x -> a.add(x.asText()));
                  return a;
                })
            .orElseThrow();
    Path rootfs = image.unpack(DIR.resolve("rootfs/isthmus-istiod"));
    namespace(client, ns);
    Process p =
        sandbox(
            image,
            rootfs,
            Map.of("POD_NAMESPACE", ns),
            concat(image.entrypoint(), args.toArray(String[]::new)));
    awaitReady(p, image);
  }

  private static List<String> concat(List<String> head, String... tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all;
  }

  private static void assertControlPlanePortsFree() {
    for (int port : new int[] {8080, 15010, 15012, 15014, 15017}) {
      try (ServerSocket s = new ServerSocket(port)) {
        s.setReuseAddress(true);
      } catch (IOException e) {
        fail("port " + port + " is taken on this host: the control plane image listens there");
      }
    }
  }

  /** Waits until the control plane answers {@code /ready} on its readiness port. */
  private static void awaitReady(Process p, ImageArchive image) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .failFast(() -> assertAlive(p, image))
        .ignoreExceptions()
        .until(
            () -> {
              HttpResponse<String> r =
                  http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/ready"))
                          .timeout(Duration.ofSeconds(2))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              return r.statusCode() == 200 && r.body().contains("ready");
            });
  }

  private Process sandbox(
      ImageArchive image, Path rootfs, Map<String, String> env, List<String> argv)
      throws IOException {
    Path kubeconfig = DIR.resolve("rootfs/kubeconfig");
    Files.writeString(kubeconfig, selfContained(TestKubeApiServer.get().kubeConfigYaml()));
    Map<String, String> all = new java.util.LinkedHashMap<>(env);
    all.put("KUBECONFIG", "/tmp/kubeconfig");
    Process p =
        Sandbox.start(
            image, rootfs, List.of(kubeconfig), all, argv, DIR.resolve(image.name() + ".log"));
    sandboxes.add(p);
    return p;
  }

  private static void assertAlive(Process p, ImageArchive image) throws IOException {
    if (!p.isAlive()) {
      fail(
          image.name()
              + " exited with "
              + p.exitValue()
              + ":\n"
              + Files.readString(DIR.resolve(image.name() + ".log")));
    }
  }

  private static ImageArchive archive(String name) throws Exception {
    Path tar = DIR.resolve(name + ".tar");
    if (!Files.exists(tar)) {
      fail(tar + " is missing: build with -Dimages.base=tar://$(scripts/jre-base.sh)");
    }
    return ImageArchive.open(tar, DIR.resolve("rootfs"));
  }

  private static String digest(ImageArchive image) throws IOException {
    return Files.readString(DIR.resolve(image.name() + ".digest")).trim();
  }

  private static void namespace(KubernetesClient client, String ns) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
  }

  /**
   * The kubeconfig with its certificate files inlined ({@code *-data}), since the files are not
   * inside the image's root.
   */
  static String selfContained(String yaml) throws IOException {
    YAMLMapper mapper = new YAMLMapper();
    JsonNode root = mapper.readTree(yaml);
    for (JsonNode c : root.path("clusters")) {
      inline((ObjectNode) c.path("cluster"), "certificate-authority");
    }
    for (JsonNode u : root.path("users")) {
      inline((ObjectNode) u.path("user"), "client-certificate");
      inline((ObjectNode) u.path("user"), "client-key");
    }
    return mapper.writeValueAsString(root);
  }

  private static void inline(ObjectNode node, String field) throws IOException {
    if (node.hasNonNull(field)) {
      byte[] bytes = Files.readAllBytes(Path.of(node.remove(field).asText()));
      node.put(field + "-data", Base64.getEncoder().encodeToString(bytes));
    }
  }
}
