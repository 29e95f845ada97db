package dev.isthmus.cli.cluster;

import dev.isthmus.cli.install.ClusterFlags;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ClusterOptions} are the flags every cluster verb shares with istioctl: {@code
 * --kubeconfig}, {@code --context} and {@code -i/--istioNamespace}. Without {@code --kubeconfig}
 * the usual lookup applies ({@code KUBECONFIG}, then {@code ~/.kube/config}, then in-cluster).
 */
public final class ClusterOptions {
  @Mixin ClusterFlags kube;

  @Option(
      names = {"-i", "--istioNamespace"},
      paramLabel = "NAMESPACE",
      defaultValue = "istio-system",
      description = "namespace of the control plane (default: ${DEFAULT-VALUE})")
  String istioNamespace;

  @Option(
      names = "--as",
      paramLabel = "USER",
      description = "user to impersonate for the operation")
  String as;

  @Option(
      names = "--as-group",
      paramLabel = "GROUP",
      description = "group to impersonate (repeatable)")
  java.util.List<String> asGroups;

  /** A client for the chosen cluster; the caller closes it. */
  public KubernetesClient client() {
    Config config = kube.config();
    // a few retries ride out an API server that is starting (429) without hanging on one that is
    // gone for the minute and a half fabric8's default of ten would take
    config.setRequestRetryBackoffLimit(5);
    if (as != null) {
      config.setImpersonateUsername(as);
      if (asGroups != null) {
        config.setImpersonateGroups(asGroups.toArray(String[]::new));
      }
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** The control plane namespace. */
  public String istioNamespace() {
    return istioNamespace;
  }
}
