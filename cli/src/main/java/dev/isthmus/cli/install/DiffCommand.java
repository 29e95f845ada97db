package dev.isthmus.cli.install;

import dev.isthmus.operator.ChangePlan;
import dev.isthmus.operator.Installer;
import dev.isthmus.operator.cli.Cli;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code isthmus diff}: the change plan of installing the input now — objects created, updated
 * (field by field) and pruned — without changing anything. Exit code 0 when there is nothing to
 * change, 2 when there is, 1 on an error (as {@code terraform plan -detailed-exitcode}; {@code
 * kubectl diff} uses 1 for "differences", which here already means a failure).
 */
@Command(
    name = "isthmus diff",
    mixinStandardHelpOptions = true,
    description = "Shows what install would create, update and prune in the cluster.")
public final class DiffCommand extends Verb {
  /** The exit code when the plan is not empty. */
  public static final int CHANGES = 2;

  @Mixin InstallInput input;
  @Mixin ClusterFlags cluster;

  DiffCommand(InputStream in, PrintStream out, PrintStream err) {
    super("diff", in, out, err);
  }

  /** Runs {@code isthmus diff ARGS}; returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return Cli.execute(new DiffCommand(in, out, err), "diff", args, out, err);
  }

  @Override
  int execute() {
    InstallInput.Prepared prepared = input.render();
    prepared.rendered().warnings().forEach(w -> err.println("warning: " + w));
    try (KubernetesClient client = cluster.connect()) {
      ChangePlan plan =
          new Installer(client, out::println).plan(prepared.owner(), prepared.rendered());
      out.print(plan.render());
      return plan.isEmpty() ? 0 : CHANGES;
    }
  }
}
