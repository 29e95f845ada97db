package dev.isthmus.cli.install;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --kubeconfig} and {@code --context}, as kubectl and istioctl name them. */
public final class ClusterFlags {
  @Option(
      names = {"-c", "--kubeconfig"},
      paramLabel = "FILE",
      description = "the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
  Path kubeconfig;

  @Option(
      names = "--context",
      paramLabel = "NAME",
      description = "the kubeconfig context (default: its current context)")
  String context;

  /**
   * The client configuration these flags select: the kubeconfig file (else {@code $KUBECONFIG},
   * {@code ~/.kube/config}, in cluster) and its context; a message naming the flag otherwise.
   */
  public Config config() {
    Config config;
    if (kubeconfig != null) {
      String text;
      try {
        text = Files.readString(kubeconfig, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new CommandException("--kubeconfig " + kubeconfig + ": no such file");
      } catch (IOException e) {
        throw new CommandException("--kubeconfig " + kubeconfig + ": cannot read file");
      }
      try {
        config = Config.fromKubeconfig(context, text, kubeconfig.toString());
      } catch (RuntimeException e) {
        throw new CommandException("--kubeconfig " + kubeconfig + ": " + e.getMessage());
      }
    } else {
      config = Config.autoConfigure(context);
    }
    if (context != null
        && (config.getCurrentContext() == null
            || !context.equals(config.getCurrentContext().getName()))) {
      throw new CommandException("--context " + context + ": no such context");
    }
    return config;
  }

  /**
   * A client for the configured cluster, once the API server answered; throws {@link
   * CommandException} naming the server (or the kubeconfig) otherwise.
   */
  KubernetesClient connect() {
    // a command line fails fast rather than retrying an unreachable server for a minute
    Config config =
        new ConfigBuilder(config())
            .withRequestRetryBackoffLimit(1)
            .withConnectionTimeout(10_000)
            .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    try {
      client.getKubernetesVersion();
    } catch (KubernetesClientException e) {
      client.close();
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      throw new CommandException(
          "cannot reach the Kubernetes API server at "
              + config.getMasterUrl()
              + ": "
              + (root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage()));
    }
    return client;
  }
}
