package dev.isthmus.operator.cli;

import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code isthmus discovery [istiod's flags]}: the control plane started with the arguments the
 * istiod Deployment gives {@code pilot-discovery} ({@code discovery --monitoringAddr=:15014
 * --log_output_level=default:info --domain cluster.local --keepaliveMaxServerConnectionAge 30m}),
 * so that the control-plane image runs under the Deployment Istio's charts render. Each flag takes
 * effect; a flag of {@code pilot-discovery} that Isthmus does not implement is refused by name
 * rather than ignored. The rest of the configuration comes from the environment as in {@code
 * controlplane} ({@code POD_NAMESPACE}, {@code REVISION}, {@code ISTIOD_CUSTOM_HOST}).
 */
@Command(
    name = "isthmus discovery",
    mixinStandardHelpOptions = true,
    description = "Runs the control plane with istiod's (pilot-discovery's) flags.")
public final class DiscoveryCommand implements Callable<Integer> {
  @Option(
      names = "--monitoringAddr",
      paramLabel = "[HOST]:PORT",
      description = "the monitoring endpoint (/metrics, /debug/*): only the port is used")
  String monitoringAddr = ":15014";

  @Option(
      names = "--grpcAddr",
      paramLabel = "[HOST]:PORT",
      description = "plaintext xDS: only the port is used")
  String grpcAddr = ":15010";

  @Option(
      names = "--secureGRPCAddr",
      paramLabel = "[HOST]:PORT",
      description = "xDS and the CA over TLS: only the port is used")
  String secureGrpcAddr = ":15012";

  @Option(
      names = "--httpAddr",
      paramLabel = "[HOST]:PORT",
      description = "the readiness endpoint (/ready): only the port is used")
  String httpAddr = ":8080";

  @Option(
      names = "--httpsAddr",
      paramLabel = "[HOST]:PORT",
      description = "the injection and validation webhooks: only the port is used")
  String httpsAddr = ":15017";

  @Option(names = "--domain", paramLabel = "DOMAIN", description = "the cluster's DNS domain")
  String domain = ControlPlaneConfig.defaults().clusterDomain();

  @Option(
      names = "--keepaliveMaxServerConnectionAge",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "xDS connections are closed after this age, so proxies spread over replicas")
  Duration maxConnectionAge = ControlPlaneConfig.defaults().maxConnectionAge();

  @Option(
      names = "--log_output_level",
      paramLabel = "SCOPE:LEVEL,...",
      description = "log levels as istiod takes them; the default scope sets Isthmus's level")
  String logOutputLevel = "default:info";

  @Option(names = "--log_as_json", description = "structured JSON logs, one object a line")
  boolean logAsJson;

  private final Map<String, String> env;

  DiscoveryCommand(Map<String, String> env) {
    this.env = env;
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new DiscoveryCommand(System.getenv()), "discovery", args, out, err);
  }

  /** The configuration the flags and the environment describe. */
  ControlPlaneConfig config() {
    ControlPlaneCommand base = new ControlPlaneCommand();
    base.env = env;
    base.namespace = env.getOrDefault("POD_NAMESPACE", base.namespace);
    base.revision = env.getOrDefault("REVISION", base.revision);
    if (maxConnectionAge.isNegative() || maxConnectionAge.isZero()) {
      throw new IllegalArgumentException(
          "--keepaliveMaxServerConnectionAge: must be positive, got " + maxConnectionAge);
    }
    return base.config()
        .withXdsPort(port("--grpcAddr", grpcAddr))
        .withSecureXdsPort(port("--secureGRPCAddr", secureGrpcAddr))
        .withReadinessPort(port("--httpAddr", httpAddr))
        .withMonitoringPort(port("--monitoringAddr", monitoringAddr))
        .withClusterDomain(domain)
        .withMaxConnectionAge(maxConnectionAge);
  }

  /** The port of {@code [HOST]:PORT}, the value of {@code flag}. */
  static int port(String flag, String address) {
    int colon = address.lastIndexOf(':');
    try {
      if (colon < 0) {
        throw new NumberFormatException("missing port in address");
      }
      int port = Integer.parseInt(address.substring(colon + 1));
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        flag + ": expected [HOST]:PORT with a port 0-65535, got '" + address + "'");
  }

  /**
   * istiod's {@code scope:level} list: {@code default} sets the level of Isthmus's loggers; other
   * scopes name istiod's packages, which Isthmus does not have, and are noted.
   */
  static Level level(String outputLevel, List<String> notes) {
    Level level = Level.INFO;
    for (String part : outputLevel.split(",")) {
      String[] kv = part.trim().split(":", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException(
            "--log_output_level: expected scope:level, got '" + part.trim() + "'");
      }
      Level l =
          switch (kv[1].trim().toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warn" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            case "none" -> Level.OFF;
            default ->
                throw new IllegalArgumentException(
                    "--log_output_level: unknown level '"
                        + kv[1].trim()
                        + "' (debug, info, warn, error, none)");
          };
      if (kv[0].trim().equals("default")) {
        level = l;
      } else {
        notes.add("--log_output_level: istiod's scope '" + kv[0].trim() + "' has no equivalent");
      }
    }
    return level;
  }

  @Override
  public Integer call() throws InterruptedException {
    List<String> notes = new ArrayList<>();
    Level level = level(logOutputLevel, notes);
    ControlPlaneConfig config = config();
    Logger.getLogger("dev.isthmus").setLevel(level);
    Logger log = Logger.getLogger(DiscoveryCommand.class.getName());
    notes.forEach(log::warning);
    Istiod.run(config, port("--httpsAddr", httpsAddr));
    return 0;
  }
}
