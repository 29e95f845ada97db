package dev.isthmus.cli.cluster;

import dev.isthmus.operator.cli.Cli;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code ClusterVerbs} runs the verbs that inspect or change a cluster the way istioctl's do:
 * {@code x precheck}, {@code tag}, {@code proxy-status} and {@code analyze}.
 */
public final class ClusterVerbs {
  private ClusterVerbs() {}

  public static int tag(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new TagCommand(out, err), "tag", rest(args), out, err);
  }

  /** {@code isthmus x <subcommand>}: the experimental verbs (only {@code precheck} so far). */
  public static int experimental(String[] args, PrintStream out, PrintStream err) {
    if (args.length < 2 || !args[1].equals("precheck")) {
      err.println(
          "isthmus x: expected a subcommand: precheck"
              + (args.length < 2 ? "" : " (not " + args[1] + ")"));
      return 1;
    }
    return Cli.execute(
        new PrecheckCommand(out, err),
        "x precheck",
        Arrays.copyOfRange(args, 2, args.length),
        out,
        err);
  }

  public static int proxyStatus(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new ProxyStatusCommand(out, err), "proxy-status", rest(args), out, err);
  }

  public static int analyze(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new AnalyzeCommand(out, err), "analyze", rest(args), out, err);
  }

  private static String[] rest(String[] args) {
    return Arrays.copyOfRange(args, 1, args.length);
  }
}
