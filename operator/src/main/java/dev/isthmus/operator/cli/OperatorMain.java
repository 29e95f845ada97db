package dev.isthmus.operator.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code OperatorMain} is the entry point of the operator and control-plane images: it runs {@code
 * operator} or {@code controlplane} and nothing else. The jar it heads carries neither the local
 * API server nor the xDS client of {@code isthmus up}; the full command line is {@code
 * dev.isthmus.cli.IsthmusMain} in the {@code cli} module.
 */
@QuarkusMain
public class OperatorMain implements QuarkusApplication {
  static final String USAGE =
      """
      Usage: isthmus <command> [flags]

      Commands:
        operator            run the IstioOperator operator against the current kubeconfig
        controlplane        run the control plane (Pilot, Citadel, webhooks) of one revision
        discovery           the same, with istiod's flags (the istiod Deployment's arguments)
        version             print the version
      """;

  public static void main(String... args) {
    useJsonLogsFor(args);
    Quarkus.run(OperatorMain.class, args);
  }

  /**
   * The long-running operator logs structured JSON (one object per line), and so does {@code
   * discovery} given istiod's {@code --log_as_json}; the other commands keep plain text.
   */
  public static void useJsonLogsFor(String... args) {
    boolean json =
        args.length > 0
            && (args[0].equals("operator")
                || (args[0].equals("discovery") && Arrays.asList(args).contains("--log_as_json")));
    if (json && System.getProperty("quarkus.log.console.json.enabled") == null) {
      System.setProperty("quarkus.log.console.json.enabled", "true");
    }
  }

  @Override
  public int run(String... args) {
    int code = dispatch(args, System.out, System.err);
    if (code == NOT_MINE) {
      System.err.println("isthmus: unknown command: " + String.join(" ", args));
      System.err.print(USAGE);
      return 1;
    }
    return code;
  }

  /** What {@link #dispatch} returns for a verb that is not one of the server verbs. */
  public static final int NOT_MINE = -1;

  /**
   * Runs {@code operator}, {@code controlplane} or {@code version}; returns {@link #NOT_MINE} for
   * any other verb so that a launcher with more verbs can handle it.
   */
  public static int dispatch(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      return NOT_MINE;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    return switch (args[0]) {
      case "operator" -> OperatorCommand.run(rest, out, err);
      case "controlplane" -> ControlPlaneCommand.run(rest, out, err);
      case "discovery" -> DiscoveryCommand.run(rest, out, err);
      case "version", "--version" -> {
        out.println("isthmus " + version());
        yield 0;
      }
      default -> NOT_MINE;
    };
  }

  static String version() {
    String v = OperatorMain.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }
}
