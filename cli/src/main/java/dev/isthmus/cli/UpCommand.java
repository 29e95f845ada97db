package dev.isthmus.cli;

import dev.isthmus.api.Crds;
import dev.isthmus.local.LocalMesh;
import dev.isthmus.local.WorkloadCertificate;
import dev.isthmus.operator.OperatorManifests;
import dev.isthmus.operator.WatchedNamespaces;
import dev.isthmus.operator.cli.Cli;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.runtime.Quarkus;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code isthmus up [--embedded] [-f FILE]}: with no cluster configured (or with {@code
 * --embedded}) runs the whole mesh control loop on this machine — a local kube-apiserver + etcd,
 * the CRDs, the operator, an IstioOperator, the control plane in-process, a demo workload with a
 * certificate and an xDS-routed gRPC call — and stays up until Ctrl-C. With a cluster in the
 * kubeconfig it installs the CRDs and the operator there instead.
 */
@Command(
    name = "isthmus up",
    mixinStandardHelpOptions = true,
    description = "Runs everything locally, or installs the operator into the configured cluster.")
final class UpCommand implements Callable<Integer> {
  @Option(names = "--embedded", description = "run locally even when a cluster is configured")
  boolean embedded;

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE",
      description = "the IstioOperator to install instead of the built-in one")
  Path file;

  private final PrintStream out;
  private final PrintStream err;

  private UpCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new UpCommand(out, err), "up", args, out, err);
  }

  @Override
  public Integer call() throws Exception {
    String iopYaml = file == null ? LocalMesh.DEFAULT_IOP : Files.readString(file);
    if (!embedded && clusterConfigured()) {
      return installIntoCluster(out);
    }
    long start = System.nanoTime();
    try {
      LocalBinaries.provision(System.getenv(), System.getProperty("user.home"));
    } catch (IllegalStateException e) {
      err.println("isthmus up: " + e.getMessage());
      return 1;
    }
    KubeAPIServer server =
        new KubeAPIServer(
            KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .build());
    server.start();
    // Ctrl-C in a terminal signals the whole process group: etcd and kube-apiserver are already
    // stopping, and the JVM exits without waiting for this method to finish. The hook still
    // removes their data folders and any process left.
    AtomicBoolean stopped = new AtomicBoolean();
    Runnable stopServer =
        () -> {
          if (stopped.compareAndSet(false, true)) {
            server.stop();
          }
        };
    Thread hook = new Thread(stopServer, "isthmus-up-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    Path kubeconfig = Path.of(System.getProperty("user.home"), ".isthmus", "kubeconfig");
    Files.createDirectories(kubeconfig.getParent());
    Files.writeString(kubeconfig, server.getKubeConfigYaml());
    try (KubernetesClient client =
            new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(server.getKubeConfigYaml()))
                .build();
        LocalMesh mesh = new LocalMesh(client, out)) {
      out.println(
          "✔ API server "
              + client.getKubernetesVersion().getGitVersion()
              + " at "
              + client.getMasterUrl());
      mesh.installCrds();
      mesh.startOperator(Set.of(LocalMesh.namespaceOf(iopYaml)));
      mesh.install(iopYaml, Duration.ofMinutes(3));
      mesh.deployDemo();
      WorkloadCertificate.Issued cert = mesh.certificate();
      String who = mesh.call(Duration.ofSeconds(60));
      double seconds = (System.nanoTime() - start) / 1e9;
      out.printf(
          "✔ xDS call routed to %s (%s) in %.1f s from start%n", who, LocalMesh.DEMO_HOST, seconds);
      var istiod = mesh.istiod();
      out.println();
      out.println("Isthmus is up.");
      out.println(
          "  kubeconfig:   "
              + kubeconfig
              + "   (kubectl --kubeconfig "
              + kubeconfig
              + " get iop -A)");
      out.println(
          "  xDS:          127.0.0.1:"
              + istiod.pilot().xdsPort()
              + " (plaintext), 127.0.0.1:"
              + istiod.pilot().secureXdsPort()
              + " (TLS, also the CA)");
      out.println(
          "  monitoring:   http://127.0.0.1:"
              + istiod.pilot().monitoringPort()
              + "/metrics, /debug/syncz");
      out.println("  webhooks:     https://127.0.0.1:" + istiod.webhooks().port());
      out.println(
          "  workload:     "
              + cert.identity()
              + " (certificate expires "
              + cert.chain().get(0).getNotAfter()
              + ")");
      out.println("Press Ctrl-C to stop.");
      Quarkus.waitForExit();
      out.println("stopping...");
    } finally {
      stopServer.run();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs (or ran) anyway
      }
    }
    return 0;
  }

  private static boolean clusterConfigured() {
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank()) {
      return true;
    }
    return new File(System.getProperty("user.home"), ".kube/config").isFile()
        || System.getenv("KUBERNETES_SERVICE_HOST") != null;
  }

  private static int installIntoCluster(PrintStream out) {
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      out.println("Installing Isthmus into " + client.getMasterUrl());
      Crds.all()
          .forEach(
              crd ->
                  client.resource(crd).fieldManager("isthmus").forceConflicts().serverSideApply());
      out.println("✔ CRDs");
      String ns = "isthmus-system";
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .serverSideApply();
      String watched = WatchedNamespaces.DEFAULT;
      for (HasMetadata o :
          OperatorManifests.all(ns, OperatorManifests.DEFAULT_IMAGE, Set.of(watched))) {
        client.resource(o).fieldManager("isthmus").forceConflicts().serverSideApply();
      }
      out.println(
          "✔ operator Deployment "
              + ns
              + "/"
              + OperatorManifests.NAME
              + " ("
              + OperatorManifests.DEFAULT_IMAGE
              + "), watching namespace "
              + watched);
      out.println(
          "Apply an IstioOperator in namespace "
              + watched
              + " to install the mesh, e.g. kubectl apply --server-side -f iop.yaml");
      return 0;
    }
  }
}
