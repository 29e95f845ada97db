package dev.isthmus.cli;

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
        operator            run the IstioOperator operator against the current kubeconfig
        controlplane        run the control plane (Pilot, Citadel, webhooks) out of cluster
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
      case "up":
        return UpCommand.run(Arrays.copyOfRange(args, 1, args.length), out, err);
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
