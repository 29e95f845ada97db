package dev.isthmus.cli.install;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.ChangePlan;
import dev.isthmus.operator.InstalledState;
import dev.isthmus.operator.Installer;
import dev.isthmus.operator.cli.Cli;
import dev.isthmus.operator.cli.DurationConverter;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code isthmus install}: renders the IstioOperator input, dry-runs every object (a refusal
 * applies nothing), applies the components in order with a progress line each, waits for their
 * workloads, prunes what the previous install of the same revision had and this one does not, and
 * records the installed state. {@code --dry-run} prints the change plan instead.
 */
@Command(
    name = "isthmus install",
    mixinStandardHelpOptions = true,
    description = "Applies an Istio control plane to the cluster.")
public class InstallCommand extends Verb {
  @Mixin InstallInput input;
  @Mixin ClusterFlags cluster;

  @Option(
      names = {"-y", "--skip-confirmation"},
      description = "do not ask for confirmation")
  boolean yes;

  @Option(
      names = "--dry-run",
      description = "print what would be created, updated and pruned; change nothing")
  boolean dryRun;

  @Option(
      names = "--readiness-timeout",
      paramLabel = "DURATION",
      defaultValue = "300s",
      converter = DurationConverter.class,
      description = "how long to wait for each component's workloads (default: ${DEFAULT-VALUE})")
  Duration readinessTimeout;

  InstallCommand(String verb, InputStream in, PrintStream out, PrintStream err) {
    super(verb, in, out, err);
  }

  /** Runs {@code isthmus install ARGS}; returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return Cli.execute(new InstallCommand("install", in, out, err), "install", args, out, err);
  }

  /** Refuses when there is nothing to upgrade; {@code isthmus install} has nothing to check. */
  void checkPrevious(Optional<IstioOperator> previous, InstallInput.Prepared next) {}

  @Override
  int execute() {
    InstallInput.Prepared prepared = input.render();
    prepared.rendered().warnings().forEach(w -> err.println("warning: " + w));
    try (KubernetesClient client = cluster.connect()) {
      Optional<IstioOperator> previous =
          InstalledState.find(client, prepared.owner().getSpec().revision);
      checkPrevious(previous, prepared);
      Installer installer = new Installer(client, out::println);
      if (dryRun) {
        ChangePlan plan = installer.plan(prepared.owner(), prepared.rendered());
        out.print(plan.render());
        out.println("Dry run: nothing was applied.");
        return 0;
      }
      if (!yes && !confirm(question(prepared))) {
        return 1;
      }
      installer.install(prepared.owner(), prepared.rendered(), readinessTimeout);
      return 0;
    }
  }

  String question(InstallInput.Prepared p) {
    var spec = p.owner().getSpec();
    String rev =
        spec.revision == null || spec.revision.isEmpty() ? "" : " revision " + spec.revision;
    return "This will install the Istio "
        + version(spec.tag)
        + " \""
        + spec.profile
        + "\" profile"
        + rev
        + " (components: "
        + String.join(
            ", ",
            p.rendered().components().stream()
                .map(c -> Installer.displayName(c.component()))
                .distinct()
                .toList())
        + ") into the cluster.";
  }

  static String version(IntOrString tag) {
    if (tag == null) {
      return "(untagged)";
    }
    return tag.getStrVal() != null ? tag.getStrVal() : String.valueOf(tag.getIntVal());
  }
}
