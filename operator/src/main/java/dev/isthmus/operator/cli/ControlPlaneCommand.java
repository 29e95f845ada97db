package dev.isthmus.operator.cli;

import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code isthmus controlplane [--namespace NS] [--revision REV] [--debug-open]}: runs Pilot,
 * Citadel and the webhooks of one revision, as the istiod Deployment's container does.
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

  private ControlPlaneCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new ControlPlaneCommand(), "controlplane", args, out, err);
  }

  /** The configuration the flags describe. */
  ControlPlaneConfig config() {
    return ControlPlaneConfig.defaults()
        .withNamespace(namespace)
        .withRevision(revision)
        .withDebugOpen(debugOpen);
  }

  @Override
  public Integer call() throws InterruptedException {
    Istiod.run(config());
    return 0;
  }
}
