package dev.isthmus.operator.cli;

import dev.isthmus.operator.CrdPolicy;
import dev.isthmus.operator.IsthmusOperator;
import dev.isthmus.operator.WatchedNamespaces;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quarkus.runtime.Quarkus;
import java.io.PrintStream;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code isthmus operator [--namespaces NS,...] [--leader-election-namespace NS] [--http-port N]
 * [--crds apply|external]}: runs the IstioOperator controller against the current kubeconfig (or
 * the in-cluster service account) until stopped. It reconciles IstioOperators only in the given
 * namespaces, by default OLM's {@code WATCH_NAMESPACE} or its own namespace ({@link
 * WatchedNamespaces}); there is no all-namespaces mode. {@code --crds=external} is for OLM, which
 * installs the CRDs from the bundle: the operator then only checks them.
 */
@Command(
    name = "isthmus operator",
    mixinStandardHelpOptions = true,
    description = "Runs the IstioOperator controller against the current kubeconfig.")
public final class OperatorCommand implements Callable<Integer> {
  private static volatile IsthmusOperator running;

  @Option(
      names = "--namespaces",
      paramLabel = "NS,...",
      description = "namespaces whose IstioOperators are reconciled")
  String namespacesFlag;

  @Option(
      names = "--leader-election-namespace",
      paramLabel = "NS",
      description = "namespace of the leader-election Lease (default: POD_NAMESPACE)")
  String leaderNamespace = System.getenv("POD_NAMESPACE");

  @Option(names = "--http-port", paramLabel = "N", description = "health and metrics port")
  int port = 8383;

  @Option(
      names = "--crds",
      paramLabel = "apply|external",
      converter = CrdPolicyConverter.class,
      description = "install the CRDs (apply) or only check them (external, under OLM)")
  CrdPolicy crds = CrdPolicy.APPLY;

  private final PrintStream out;
  private final PrintStream err;

  private OperatorCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  static IsthmusOperator running() {
    return running;
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.execute(new OperatorCommand(out, err), "operator", args, out, err);
  }

  static final class CrdPolicyConverter implements CommandLine.ITypeConverter<CrdPolicy> {
    @Override
    public CrdPolicy convert(String value) {
      return CrdPolicy.parse(value);
    }
  }

  @Override
  public Integer call() {
    Set<String> namespaces;
    try {
      namespaces = WatchedNamespaces.resolve(namespacesFlag, System.getenv());
    } catch (IllegalArgumentException e) {
      err.println("isthmus operator: " + e.getMessage());
      return 1;
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    IsthmusOperator.Config config =
        IsthmusOperator.Config.defaults()
            .withWatchedNamespaces(namespaces)
            .withRegistry(registry)
            .withCrds(crds);
    if (leaderNamespace != null && !leaderNamespace.isBlank()) {
      config = config.withLeaderElection(leaderNamespace);
    }
    out.println(
        "isthmus operator: watching "
            + String.join(", ", new TreeSet<>(namespaces))
            + " on "
            + client.getMasterUrl());
    try (OperatorEndpoints endpoints =
            new OperatorEndpoints(port, OperatorCommand::running, registry);
        IsthmusOperator operator = IsthmusOperator.start(client, config)) {
      running = operator;
      out.println(
          "isthmus operator: health and metrics on :" + endpoints.port() + "/q/health, /q/metrics");
      Quarkus.waitForExit();
    } catch (java.io.IOException e) {
      err.println(
          "isthmus operator: cannot serve health/metrics on port " + port + ": " + e.getMessage());
      return 1;
    } finally {
      running = null;
      client.close();
    }
    return 0;
  }
}
