package dev.isthmus.controlplane.bench;

import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The control plane as {@code isthmus controlplane} runs it out of cluster (the current kubeconfig,
 * namespace {@code POD_NAMESPACE} or istio-system, serving names localhost and 127.0.0.1), on ports
 * given as arguments so that a benchmark can run beside a test suite that binds Istio's defaults:
 *
 * <pre>
 * CaBenchServer XDS_PORT SECURE_XDS_PORT MONITORING_PORT READINESS_PORT WEBHOOK_PORT
 * </pre>
 *
 * Used by {@code scripts/bench-ca.sh}; runs until the JVM is stopped.
 */
public final class CaBenchServer {
  private CaBenchServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println(
          "usage: CaBenchServer XDS_PORT SECURE_XDS_PORT MONITORING_PORT READINESS_PORT WEBHOOK_PORT");
      System.exit(2);
    }
    int[] ports = new int[5];
    for (int i = 0; i < 5; i++) {
      ports[i] = Integer.parseInt(args[i]);
    }
    ControlPlaneConfig d =
        ControlPlaneConfig.defaults()
            .withNamespace(System.getenv().getOrDefault("POD_NAMESPACE", "istio-system"))
            .withServingNames(List.of("localhost", "127.0.0.1"));
    ControlPlaneConfig config =
        new ControlPlaneConfig(
            d.namespace(),
            d.revision(),
            ports[0],
            ports[1],
            ports[2],
            ports[3],
            d.clusterDomain(),
            d.debounceQuiet(),
            d.debounceMax(),
            d.trustDomain(),
            d.debugOpen(),
            d.xdsStreamsPerSecond(),
            d.servingNames(),
            d.maxConnectionAge());
    CountDownLatch stop = new CountDownLatch(1);
    try (KubernetesClient client = new KubernetesClientBuilder().build();
        Istiod istiod = Istiod.start(config, ports[4], client)) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "bench-stop"));
      System.out.printf(
          "control plane %s: xDS :%d, xDS+CA (TLS) :%d, monitoring :%d, ready :%d, webhooks :%d%n",
          config.namespace(),
          config.xdsPort(),
          config.secureXdsPort(),
          config.monitoringPort(),
          config.readinessPort(),
          ports[4]);
      stop.await();
    }
  }
}
