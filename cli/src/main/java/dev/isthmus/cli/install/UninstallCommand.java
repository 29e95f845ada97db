package dev.isthmus.cli.install;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.ChangePlan;
import dev.isthmus.operator.InstalledState;
import dev.isthmus.operator.Installer;
import dev.isthmus.operator.cli.Cli;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code isthmus uninstall}: removes exactly the objects of one installation (the revision given by
 * {@code -r}, or by the {@code -f}/{@code --set} input), handing the shared Istio core objects over
 * to another installed revision that also renders them. {@code --purge} removes every installation
 * and the Istio CRDs.
 */
@Command(
    name = "isthmus uninstall",
    mixinStandardHelpOptions = true,
    description = "Removes an Istio installation from the cluster.")
public final class UninstallCommand extends Verb {
  @Mixin InstallInput input;
  @Mixin ClusterFlags cluster;

  @Option(
      names = {"-y", "--skip-confirmation"},
      description = "do not ask for confirmation")
  boolean yes;

  @Option(names = "--dry-run", description = "print what would be removed; remove nothing")
  boolean dryRun;

  @Option(
      names = "--purge",
      description = "remove every installation, every revision and the Istio CRDs")
  boolean purge;

  UninstallCommand(InputStream in, PrintStream out, PrintStream err) {
    super("uninstall", in, out, err);
  }

  /** Runs {@code isthmus uninstall ARGS}; returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return Cli.execute(new UninstallCommand(in, out, err), "uninstall", args, out, err);
  }

  @Override
  int execute() {
    if (!purge && input.empty()) {
      throw new CommandException(
          "at least one of --revision (or --set revision=REV), --filename or --purge is needed;"
              + " use --revision default for the installation without a revision");
    }
    String revision = null;
    if (!input.empty()) {
      revision = input.render().owner().getSpec().revision;
    }
    try (KubernetesClient client = cluster.connect()) {
      List<IstioOperator> all = InstalledState.list(client);
      List<IstioOperator> leaving = new ArrayList<>();
      if (purge) {
        leaving.addAll(all);
      } else {
        InstalledState.find(client, revision).ifPresent(leaving::add);
      }
      if (leaving.isEmpty()) {
        throw new CommandException(
            purge
                ? "no Istio installation found in the cluster"
                : "no Istio installation found for revision "
                    + InstalledState.revisionLabel(revision)
                    + " (no "
                    + InstalledState.name(revision)
                    + " record in any namespace)");
      }
      List<IstioOperator> staying =
          all.stream().filter(i -> leaving.stream().noneMatch(l -> same(l, i))).toList();
      Installer installer = new Installer(client, out::println);
      if (!yes || dryRun) {
        int count = 0;
        out.println(
            purge
                ? "All Istio resources will be pruned from the cluster:"
                : "The following resources will be pruned from the cluster:");
        for (IstioOperator owner : leaving) {
          ChangePlan plan = installer.uninstallPlan(owner, purge, staying);
          for (ChangePlan.Change c : plan.changes()) {
            out.println("  " + c.object());
            count++;
          }
        }
        out.println(count + " objects of " + names(leaving));
      }
      if (dryRun) {
        out.println("Dry run: nothing was removed.");
        return 0;
      }
      if (!yes && !confirm("")) {
        return 1;
      }
      for (IstioOperator owner : leaving) {
        for (String deleted : installer.uninstall(owner, purge, staying)) {
          out.println("  Removed " + deleted + ".");
        }
      }
      out.println("✔ Uninstall complete");
      return 0;
    }
  }

  private static boolean same(IstioOperator a, IstioOperator b) {
    return a.getMetadata().getName().equals(b.getMetadata().getName())
        && a.getMetadata().getNamespace().equals(b.getMetadata().getNamespace());
  }

  private static String names(List<IstioOperator> owners) {
    return String.join(
        ", ",
        owners.stream()
            .map(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
            .toList());
  }
}
