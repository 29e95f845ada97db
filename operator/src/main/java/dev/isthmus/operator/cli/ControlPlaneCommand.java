package dev.isthmus.operator.cli;

import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import java.io.PrintStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code isthmus controlplane [--namespace NS] [--revision REV] [--debug-open] [--serving-name
 * NAME,...]}: runs Pilot, Citadel and the webhooks of one revision, as the istiod Deployment's
 * container does, in the cluster or out of it.
 */
@Command(
    name = "isthmus controlplane",
    mixinStandardHelpOptions = true,
    description =
        "Runs the control plane (Pilot, Citadel, webhooks) against the current kubeconfig.")
public final class ControlPlaneCommand implements Callable<Integer> {
  @Option(
      names = "--namespace",
      paramLabel = "NS",
      description = "the control plane's namespace (default: POD_NAMESPACE, else istio-system)")
  String namespace =
      System.getenv().getOrDefault("POD_NAMESPACE", ControlPlaneConfig.defaults().namespace());

  @Option(
      names = "--revision",
      paramLabel = "REV",
      description = "the revision served (default: REVISION, else default)")
  String revision =
      System.getenv().getOrDefault("REVISION", ControlPlaneConfig.defaults().revision());

  @Option(
      names = "--debug-open",
      description =
          "serve /debug/* on the monitoring port to every caller, not only to localhost and to"
              + " callers authenticated as the control plane's namespace")
  boolean debugOpen;

  @Option(
      names = "--serving-name",
      paramLabel = "NAME",
      split = ",",
      description =
          "an extra DNS name or IP address of the serving certificate, for callers that reach the"
              + " control plane by another address (default: ISTIOD_CUSTOM_HOST; out of cluster also"
              + " localhost and 127.0.0.1, so that an API server can call the webhooks by URL)")
  List<String> servingNames;

  /** The environment the defaults come from. */
  Map<String, String> env = System.getenv();

  ControlPlaneCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new ControlPlaneCommand(), "controlplane", args, out, err);
  }

  /** The configuration the flags describe. */
  ControlPlaneConfig config() {
    return ControlPlaneConfig.defaults()
        .withNamespace(namespace)
        .withRevision(revision)
        .withDebugOpen(debugOpen)
        .withServingNames(servingNames());
  }

  /**
   * {@code --serving-name} values, else istiod's {@code ISTIOD_CUSTOM_HOST} (comma-separated); out
   * of cluster (no {@code KUBERNETES_SERVICE_HOST}) the loopback names are added.
   */
  List<String> servingNames() {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    if (servingNames != null) {
      servingNames.stream().map(String::trim).filter(n -> !n.isEmpty()).forEach(names::add);
    } else {
      for (String n : env.getOrDefault("ISTIOD_CUSTOM_HOST", "").split(",")) {
        if (!n.isBlank()) {
          names.add(n.trim());
        }
      }
    }
    if (env.get("KUBERNETES_SERVICE_HOST") == null) {
      names.add("localhost");
      names.add("127.0.0.1");
    }
    return List.copyOf(names);
  }

  @Override
  public Integer call() throws InterruptedException {
    Istiod.run(config());
    return 0;
  }
}
