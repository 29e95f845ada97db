package dev.isthmus.cli;

import dev.isthmus.operator.CrdPolicy;
import dev.isthmus.operator.IsthmusOperator;
import dev.isthmus.operator.WatchedNamespaces;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.quarkus.runtime.Quarkus;
import java.io.PrintStream;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code isthmus operator [--namespaces NS,...] [--leader-election-namespace NS] [--http-port N]
 * [--crds apply|external]}: runs the IstioOperator controller against the current kubeconfig (or
 * the in-cluster service account) until stopped. It reconciles IstioOperators only in the given
 * namespaces, by default OLM's {@code WATCH_NAMESPACE} or its own namespace ({@link
 * WatchedNamespaces}); there is no all-namespaces mode. {@code --crds=external} is for OLM, which
 * installs the CRDs from the bundle: the operator then only checks them.
 */
final class OperatorCommand {
  private static volatile IsthmusOperator running;

  private OperatorCommand() {}

  static IsthmusOperator running() {
    return running;
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    String namespacesFlag = null;
    String leaderNamespace = System.getenv("POD_NAMESPACE");
    int port = 8383;
    CrdPolicy crds = CrdPolicy.APPLY;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--namespaces" -> {
          if (++i >= args.length) {
            err.println("isthmus operator: --namespaces needs a value");
            return 1;
          }
          namespacesFlag = args[i];
        }
        case "--leader-election-namespace" -> {
          if (++i >= args.length) {
            err.println("isthmus operator: --leader-election-namespace needs a value");
            return 1;
          }
          leaderNamespace = args[i];
        }
        case "--http-port" -> {
          if (++i >= args.length) {
            err.println("isthmus operator: --http-port needs a value");
            return 1;
          }
          port = Integer.parseInt(args[i]);
        }
        case "--crds" -> {
          if (++i >= args.length) {
            err.println("isthmus operator: --crds needs a value (apply or external)");
            return 1;
          }
          try {
            crds = CrdPolicy.parse(args[i]);
          } catch (IllegalArgumentException e) {
            err.println("isthmus operator: " + e.getMessage());
            return 1;
          }
        }
        default -> {
          if (args[i].startsWith("--crds=")) {
            try {
              crds = CrdPolicy.parse(args[i].substring("--crds=".length()));
            } catch (IllegalArgumentException e) {
              err.println("isthmus operator: " + e.getMessage());
              return 1;
            }
            continue;
          }
          err.println("isthmus operator: unknown flag " + args[i]);
          return 1;
        }
      }
    }
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
