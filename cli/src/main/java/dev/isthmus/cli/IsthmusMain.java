package dev.isthmus.cli;

import dev.isthmus.cli.cluster.ClusterVerbs;
import dev.isthmus.cli.install.DiffCommand;
import dev.isthmus.cli.install.InstallCommand;
import dev.isthmus.cli.install.UninstallCommand;
import dev.isthmus.cli.install.UpgradeCommand;
import dev.isthmus.cli.install.VerifyInstallCommand;
import dev.isthmus.operator.cli.OperatorMain;
import dev.isthmus.translate.cli.ManifestCli;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code IsthmusMain} is the entry point of {@code bin/isthmus}: it dispatches the subcommands. The
 * server verbs ({@code operator}, {@code controlplane}) are the operator module's {@link
 * OperatorMain}; this module adds {@code manifest}, {@code profile} and {@code up}.
 */
@QuarkusMain
public class IsthmusMain implements QuarkusApplication {
  static final String USAGE =
      """
      Usage: isthmus <command> [flags]

      Commands:
        manifest generate [-f FILE]... [--set PATH=VALUE]... [-r REVISION]
                            render the Kubernetes manifests of an IstioOperator
        profile list|dump NAME
                            list or print the built-in profiles
        install [-f FILE]... [--set PATH=VALUE]... [-r REV] [-y] [--dry-run]
                            apply Istio to the cluster, waiting for readiness
        upgrade [-f FILE]... [--set PATH=VALUE]... [-r REV] [-y] [--dry-run]
                            upgrade an installation in place
        uninstall (-r REV | -f FILE | --purge) [-y] [--dry-run]
                            remove an installation
        verify-install [-f FILE]... [-r REV]
                            check that an installation is present and ready
        diff [-f FILE]... [--set PATH=VALUE]... [-r REV]
                            what install would create, update and prune
        x precheck          check that the cluster is ready for an Istio install or upgrade
        tag set|list|remove|generate
                            manage revision tags (istio-revision-tag-<tag> webhooks)
        proxy-status [PROXY]
                            xDS sync state of the proxies connected to the control plane
        analyze [FILE]...   validate Istio config in the cluster or in files (IST codes)
        operator            run the IstioOperator operator against the current kubeconfig
        controlplane        run the control plane (Pilot, Citadel, webhooks) out of cluster
        discovery           the same, with istiod's flags (the istiod Deployment's arguments)
        up                  run everything locally: API server, operator, control plane, demo
        version             print the version
      """;

  public static void main(String... args) {
    OperatorMain.useJsonLogsFor(args);
    Quarkus.run(IsthmusMain.class, args);
  }

  @Override
  public int run(String... args) {
    return dispatch(args, System.out, System.err);
  }

  static int dispatch(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0
        || args[0].equals("help")
        || args[0].equals("--help")
        || args[0].equals("-h")) {
      out.print(USAGE);
      return args.length == 0 ? 1 : 0;
    }
    switch (args[0]) {
      case "manifest":
      case "profile":
        return ManifestCli.run(args, out, err);
      case "install":
        return InstallCommand.run(Arrays.copyOfRange(args, 1, args.length), System.in, out, err);
      case "upgrade":
        return UpgradeCommand.run(Arrays.copyOfRange(args, 1, args.length), System.in, out, err);
      case "uninstall":
        return UninstallCommand.run(Arrays.copyOfRange(args, 1, args.length), System.in, out, err);
      case "verify-install":
        return VerifyInstallCommand.run(
            Arrays.copyOfRange(args, 1, args.length), System.in, out, err);
      case "diff":
        return DiffCommand.run(Arrays.copyOfRange(args, 1, args.length), System.in, out, err);
      case "up":
        return UpCommand.run(Arrays.copyOfRange(args, 1, args.length), out, err);
      case "x":
        return ClusterVerbs.experimental(args, out, err);
      case "tag":
        return ClusterVerbs.tag(args, out, err);
      case "proxy-status":
        return ClusterVerbs.proxyStatus(args, out, err);
      case "analyze":
        return ClusterVerbs.analyze(args, out, err);
      default:
        int code = OperatorMain.dispatch(args, out, err);
        if (code != OperatorMain.NOT_MINE) {
          return code;
        }
        err.println(
            "isthmus: unknown or not yet available command: "
                + String.join(" ", Arrays.asList(args)));
        err.print(USAGE);
        return 1;
    }
  }
}
