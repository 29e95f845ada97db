package dev.isthmus.cli.install;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.InstalledState;
import dev.isthmus.operator.cli.Cli;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Optional;
import picocli.CommandLine.Command;

/**
 * {@code isthmus upgrade}: {@code install} of an installation that must already exist (same
 * revision), telling the version it moves from and to. To install a new revision beside the old
 * one, use {@code install -r}.
 */
@Command(
    name = "isthmus upgrade",
    mixinStandardHelpOptions = true,
    description = "Upgrades an installed Istio control plane in place.")
public final class UpgradeCommand extends InstallCommand {
  UpgradeCommand(InputStream in, PrintStream out, PrintStream err) {
    super("upgrade", in, out, err);
  }

  /** Runs {@code isthmus upgrade ARGS}; returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return Cli.execute(new UpgradeCommand(in, out, err), "upgrade", args, out, err);
  }

  @Override
  void checkPrevious(Optional<IstioOperator> previous, InstallInput.Prepared next) {
    if (previous.isEmpty()) {
      throw new CommandException(
          "no Istio installation found for revision "
              + next.revisionLabel()
              + " (no "
              + InstalledState.name(next.owner().getSpec().revision)
              + " record in any namespace); install one with isthmus install");
    }
    out.println(
        "Upgrading revision "
            + next.revisionLabel()
            + " in "
            + previous.get().getMetadata().getNamespace()
            + ": "
            + version(previous.get().getSpec().tag)
            + " -> "
            + version(next.owner().getSpec().tag));
  }

  @Override
  String question(InstallInput.Prepared p) {
    return super.question(p).replace("This will install", "This will upgrade to");
  }
}
