package dev.isthmus.cli.install;

import dev.isthmus.api.v1alpha1.IstioOperator;
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

/**
 * {@code isthmus verify-install}: checks that every object an installation renders exists in the
 * cluster and that its Deployments finished rolling out. The installation is the {@code -f}/{@code
 * --set} input when given, else the recorded installation of {@code -r} (or every recorded one).
 * One line per object, a summary, exit code 1 when anything is missing or not ready.
 */
@Command(
    name = "isthmus verify-install",
    mixinStandardHelpOptions = true,
    description = "Verifies that an Istio installation is present and ready.")
public final class VerifyInstallCommand extends Verb {
  @Mixin InstallInput input;
  @Mixin ClusterFlags cluster;

  VerifyInstallCommand(InputStream in, PrintStream out, PrintStream err) {
    super("verify-install", in, out, err);
  }

  /** Runs {@code isthmus verify-install ARGS}; returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return Cli.execute(new VerifyInstallCommand(in, out, err), "verify-install", args, out, err);
  }

  @Override
  int execute() {
    boolean fromInput = !input.files.isEmpty() || !input.sets.isEmpty();
    InstallInput.Prepared given = fromInput ? input.render() : null;
    try (KubernetesClient client = cluster.connect()) {
      List<InstallInput.Prepared> installs = new ArrayList<>();
      if (given != null) {
        installs.add(given);
      } else {
        String rev = "default".equals(input.revision) ? null : input.revision;
        List<IstioOperator> recorded =
            input.revision == null
                ? InstalledState.list(client)
                : InstalledState.find(client, rev).stream().toList();
        if (recorded.isEmpty()) {
          throw new CommandException(
              (input.revision == null
                      ? "no Istio installation found in the cluster"
                      : "no Istio installation found for revision " + input.revision)
                  + "; pass the IstioOperator with -f to verify against it");
        }
        recorded.forEach(r -> installs.add(InstallInput.render(r)));
      }
      Installer installer = new Installer(client, out::println);
      int total = 0;
      int failed = 0;
      int crds = 0;
      int deployments = 0;
      for (InstallInput.Prepared p : installs) {
        for (Installer.Check c : installer.verify(p.rendered())) {
          total++;
          if (c.ok()) {
            out.println("✔ " + c.object() + " checked successfully");
          } else {
            failed++;
            out.println("✘ " + c.object() + ": " + c.problem());
          }
          if (c.kind().equals("CustomResourceDefinition")) {
            crds++;
          } else if (c.kind().equals("Deployment")) {
            deployments++;
          }
        }
      }
      out.println("Checked " + crds + " custom resource definitions");
      out.println("Checked " + deployments + " Istio Deployments");
      if (failed > 0) {
        out.println(
            "✘ Istio installation is incomplete: "
                + failed
                + " of "
                + total
                + " Istio resources are missing or not ready");
        err.println(
            "isthmus verify-install: "
                + failed
                + " of "
                + total
                + " Istio resources are missing or not ready");
        return 1;
      }
      out.println("✔ Istio is installed and verified successfully");
      return 0;
    }
  }
}
