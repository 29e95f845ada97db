package dev.isthmus.local;

import dev.isthmus.api.Crds;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.controlplane.Istiod;
import dev.isthmus.operator.IsthmusOperator;
import dev.isthmus.operator.WatchedNamespaces;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.ServiceEntryBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.xds.XdsNameResolverProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * {@code LocalMesh} is the embedded mesh {@code isthmus up} runs and the end-to-end test drives: on
 * a Kubernetes API server it installs the CRDs, runs the operator with the {@link LocalRuntime},
 * applies an IstioOperator, waits for it to be HEALTHY, then registers a demo gRPC workload ({@code
 * echo} in namespace {@code demo}, two instances on 127.0.0.1 and 127.0.0.2 listed by a
 * ServiceEntry, since Kubernetes rejects loopback addresses in EndpointSlices), gets it a
 * certificate from the CA and calls it through xDS with grpc-java's proxyless client.
 */
public final class LocalMesh implements AutoCloseable {
  public static final String DEMO_NAMESPACE = "demo";
  public static final String DEMO_HOST = "echo." + DEMO_NAMESPACE + ".svc.cluster.local";
  public static final int DEMO_PORT = 7070;

  /**
   * The default IstioOperator of {@code isthmus up}: the default profile without gateways (Envoy
   * cannot run here).
   */
  public static final String DEFAULT_IOP =
      """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata:
        name: installed-state
        namespace: istio-system
      spec:
        profile: default
        components:
          ingressGateways:
          - name: istio-ingressgateway
            enabled: false
      """;

  private final KubernetesClient client;
  private final PrintStream out;
  private final LocalRuntime runtime;
  private IsthmusOperator operator;
  private Set<String> watched = Set.of();
  private Server v1;
  private Server v2;
  private ManagedChannel channel;
  private IstioOperator installed;

  public LocalMesh(KubernetesClient client, PrintStream out) {
    this.client = client;
    this.out = out;
    this.runtime = new LocalRuntime(client);
  }

  public LocalRuntime runtime() {
    return runtime;
  }

  /** Applies every CRD with server-side apply and waits until each is Established. */
  public void installCrds() {
    Crds.install(client, "isthmus", 60);
    out.println("✔ CRDs (" + Crds.all().size() + ")");
  }

  /** Starts the operator with the local runtime, watching {@code istio-system}. */
  public void startOperator() {
    startOperator(Set.of(WatchedNamespaces.DEFAULT));
  }

  /** Starts the operator with the local runtime, watching {@code namespaces}. */
  public void startOperator(Set<String> namespaces) {
    operator =
        IsthmusOperator.start(
            client,
            IsthmusOperator.Config.defaults()
                .withWatchedNamespaces(namespaces)
                .withListeners(List.of(runtime)));
    watched = Set.copyOf(namespaces);
    out.println("✔ operator started (watching " + String.join(", ", new TreeSet<>(watched)) + ")");
  }

  /** The namespace an IstioOperator in YAML is installed from: its own, else istio-system. */
  public static String namespaceOf(String iopYaml) {
    String ns = Serialization.unmarshal(iopYaml, IstioOperator.class).getMetadata().getNamespace();
    return ns == null || ns.isEmpty() ? WatchedNamespaces.DEFAULT : ns;
  }

  /** Applies the IstioOperator and waits until its status is HEALTHY. */
  public IstioOperator install(String iopYaml, Duration timeout) throws InterruptedException {
    IstioOperator iop = Serialization.unmarshal(iopYaml, IstioOperator.class);
    String ns = namespaceOf(iopYaml);
    iop.getMetadata().setNamespace(ns);
    if (!watched.contains(ns)) {
      throw new IllegalStateException(
          "IstioOperator namespace " + ns + " is not watched by the operator (" + watched + ")");
    }
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
    client
        .resources(IstioOperator.class)
        .inNamespace(ns)
        .resource(iop)
        .fieldManager("isthmus")
        .forceConflicts()
        .serverSideApply();
    long deadline = System.nanoTime() + timeout.toNanos();
    IstioOperator live = null;
    while (System.nanoTime() < deadline) {
      live =
          client
              .resources(IstioOperator.class)
              .inNamespace(ns)
              .withName(iop.getMetadata().getName())
              .get();
      if (live.getStatus() != null && live.getStatus().status == InstallStatus.HEALTHY) {
        break;
      }
      Thread.sleep(200);
    }
    if (live == null
        || live.getStatus() == null
        || live.getStatus().status != InstallStatus.HEALTHY) {
      throw new IllegalStateException(
          "IstioOperator "
              + ns
              + "/"
              + iop.getMetadata().getName()
              + " not healthy after "
              + timeout
              + ": "
              + (live == null || live.getStatus() == null
                  ? "no status"
                  : live.getStatus().status + " " + live.getStatus().message));
    }
    live.getStatus().componentStatus.forEach((c, s) -> out.println("✔ " + c + " " + s.status));
    installed = live;
    return live;
  }

  /** The in-process istiod of the installed default revision. */
  public Istiod istiod() {
    String ns = installed.getMetadata().getNamespace();
    String rev = installed.getSpec() == null ? null : installed.getSpec().revision;
    String name =
        rev == null || rev.isEmpty() || rev.equals("default") ? "istiod" : "istiod-" + rev;
    return runtime
        .istiod(ns, name)
        .orElseThrow(
            () -> new IllegalStateException("istiod " + ns + "/" + name + " is not running"));
  }

  /**
   * Deploys the demo workload: namespace, ServiceAccount, Service, two echo instances and their
   * ServiceEntry.
   */
  public void deployDemo() throws IOException {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(DEMO_NAMESPACE).endMetadata().build())
        .serverSideApply();
    client
        .serviceAccounts()
        .inNamespace(DEMO_NAMESPACE)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("echo").endMetadata().build())
        .serverSideApply();
    v1 = Echo.start("127.0.0.1", "echo-v1");
    v2 = Echo.start("127.0.0.2", "echo-v2");
    client
        .services()
        .inNamespace(DEMO_NAMESPACE)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("echo")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("grpc")
                .withPort(DEMO_PORT)
                .withAppProtocol("grpc")
                .endPort()
                .addToSelector("app", "echo")
                .endSpec()
                .build())
        .serverSideApply();
    ServiceEntry entry =
        new ServiceEntryBuilder()
            .withNewMetadata()
            .withName("echo-endpoints")
            .withNamespace(DEMO_NAMESPACE)
            .endMetadata()
            .withNewSpec()
            .withHosts(DEMO_HOST)
            .addNewPort()
            .withName("grpc")
            .withNumber((long) DEMO_PORT)
            .withProtocol("GRPC")
            .endPort()
            .withResolution(ServiceEntryResolution.STATIC)
            .addNewEndpoint()
            .withAddress("127.0.0.1")
            .withPorts(Map.of("grpc", (long) v1.getPort()))
            .withLabels(Map.of("app", "echo", "version", "v1"))
            .endEndpoint()
            .addNewEndpoint()
            .withAddress("127.0.0.2")
            .withPorts(Map.of("grpc", (long) v2.getPort()))
            .withLabels(Map.of("app", "echo", "version", "v2"))
            .endEndpoint()
            .endSpec()
            .build();
    client
        .resources(ServiceEntry.class)
        .inNamespace(DEMO_NAMESPACE)
        .resource(entry)
        .serverSideApply();
    out.println(
        "✔ demo workload echo (v1 on 127.0.0.1:"
            + v1.getPort()
            + ", v2 on 127.0.0.2:"
            + v2.getPort()
            + ")");
  }

  /** Requests the demo workload's certificate from the CA, as Istio's agent would. */
  public WorkloadCertificate.Issued certificate() throws Exception {
    Istiod istiod = istiod();
    String ns = installed.getMetadata().getNamespace();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (client.configMaps().inNamespace(DEMO_NAMESPACE).withName("istio-ca-root-cert").get()
            == null
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    WorkloadCertificate.Issued issued =
        WorkloadCertificate.request(
            client,
            "127.0.0.1",
            istiod.pilot().secureXdsPort(),
            "istiod." + ns + ".svc",
            DEMO_NAMESPACE,
            "echo",
            "cluster.local");
    out.println(
        "✔ certificate for " + issued.identity() + " (verifies to the root in istio-ca-root-cert)");
    return issued;
  }

  /** A proxyless gRPC channel to the demo service through the control plane's xDS port. */
  public ManagedChannel channel() {
    if (channel == null) {
      Map<String, Object> bootstrap =
          Map.of(
              "xds_servers",
              List.of(
                  Map.of(
                      "server_uri", "127.0.0.1:" + istiod().pilot().xdsPort(),
                      "channel_creds", List.of(Map.of("type", "insecure")),
                      "server_features", List.of("xds_v3"))),
              "node",
              Map.of(
                  "id",
                  "sidecar~127.0.0.1~client."
                      + DEMO_NAMESPACE
                      + "~"
                      + DEMO_NAMESPACE
                      + ".svc.cluster.local",
                  "metadata",
                  Map.of("GENERATOR", "grpc", "NAMESPACE", DEMO_NAMESPACE)));
      channel =
          Grpc.newChannelBuilder(
                  "xds:///" + DEMO_HOST + ":" + DEMO_PORT, InsecureChannelCredentials.create())
              .nameResolverFactory(XdsNameResolverProvider.createForTest("xds", bootstrap))
              .build();
    }
    return channel;
  }

  /** Calls the demo service until a call succeeds (bounded); returns the instance that answered. */
  public String call(Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        return Echo.who(channel());
      } catch (RuntimeException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException(
        "no successful call to " + DEMO_HOST + " within " + within, last);
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (operator != null) {
      operator.close();
    }
    runtime.close();
    for (Server s : new Server[] {v1, v2}) {
      if (s != null) {
        s.shutdownNow();
      }
    }
  }
}
