package dev.isthmus.controlplane;

import dev.isthmus.controlplane.ca.CaConfig;
import dev.isthmus.controlplane.ca.Citadel;
import dev.isthmus.controlplane.gateway.kube.GatewayDeploymentController;
import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import dev.isthmus.controlplane.webhooks.CaRootSource;
import dev.isthmus.controlplane.webhooks.ServingTls;
import dev.isthmus.controlplane.webhooks.Webhooks;
import dev.isthmus.controlplane.webhooks.inject.GatewayDeployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.CountDownLatch;

/**
 * {@code Istiod} is the whole control plane of one revision in one process, as the istiod
 * Deployment runs it: Citadel (the CA, served on the TLS xDS port), Pilot (xDS on 15010/15012,
 * monitoring on 15014, readiness on 8080) and the admission webhooks (15017), sharing the CA's
 * serving certificate and root.
 */
public final class Istiod implements AutoCloseable {
  private final Citadel citadel;
  private final ControlPlane pilot;
  private final Webhooks webhooks;
  private final LeaderLease gatewayDeployments;

  private Istiod(
      Citadel citadel, ControlPlane pilot, Webhooks webhooks, LeaderLease gatewayDeployments) {
    this.citadel = citadel;
    this.pilot = pilot;
    this.webhooks = webhooks;
    this.gatewayDeployments = gatewayDeployments;
  }

  /**
   * Starts Citadel, then Pilot and the webhooks on its certificate; {@code webhookPort} 0 picks a
   * free port.
   */
  public static Istiod start(ControlPlaneConfig config, int webhookPort, KubernetesClient client) {
    return start(config, webhookPort, client, LeaderLease.DEFAULT_DURATION);
  }

  /**
   * As {@link #start(ControlPlaneConfig, int, KubernetesClient)}, with {@code leaseDuration} for
   * the Leases that let one replica write {@code istio-ca-root-cert} and the webhooks' caBundle.
   */
  public static Istiod start(
      ControlPlaneConfig config,
      int webhookPort,
      KubernetesClient client,
      java.time.Duration leaseDuration) {
    // one registry for the process: Pilot's /metrics serves the CA's meters too
    IstioPrometheusRegistry prometheus = new IstioPrometheusRegistry();
    Citadel citadel =
        new Citadel(
            CaConfig.defaults(config.namespace())
                .withRevision(config.revision())
                .withTrustDomain(config.trustDomain())
                .withServingDnsNames(config.servingNames()),
            prometheus.registry());
    citadel.start(client, leaseDuration);
    ControlPlane pilot = null;
    try {
      pilot = ControlPlane.start(config, client, citadel, prometheus);
      ServingTls tls = () -> citadel.servingCertificate().keyManager();
      CaRootSource root =
          new CaRootSource() {
            @Override
            public String rootPem() {
              return citadel.rootPem();
            }

            @Override
            public AutoCloseable onChange(Runnable listener) {
              citadel.addRootListener(pem -> listener.run());
              return () -> {};
            }
          };
      Webhooks webhooks =
          Webhooks.start(
              client,
              Webhooks.Config.of(config.namespace(), config.revision())
                  .withListen("0.0.0.0", webhookPort),
              tls,
              root,
              leaseDuration);
      LeaderLease gateways;
      GatewayDeployment.Settings settings =
          new GatewayDeployment.Settings(
              System.getenv().getOrDefault("CLUSTER_ID", "Kubernetes"),
              config.revision(),
              kubeVersion(client));
      try {
        // one replica per revision deploys Gateways, under istiod's Lease name
        gateways =
            LeaderLease.start(
                client,
                config.namespace(),
                LeaderLease.perRevision("istio-gateway-deployment", config.revision()),
                leaseDuration,
                () ->
                    GatewayDeploymentController.start(
                        client, webhooks::injectionConfig, settings, config.namespace()));
      } catch (RuntimeException e) {
        webhooks.close();
        throw e;
      }
      return new Istiod(citadel, pilot, webhooks, gateways);
    } catch (RuntimeException e) {
      if (pilot != null) {
        pilot.close();
      }
      citadel.close();
      throw e;
    }
  }

  public Citadel citadel() {
    return citadel;
  }

  public ControlPlane pilot() {
    return pilot;
  }

  public Webhooks webhooks() {
    return webhooks;
  }

  /** True when Pilot reports ready. */
  public boolean ready() {
    return pilot.ready();
  }

  /** The API server's version as {@code major*100+minor}, e.g. 134 for 1.34. */
  static int kubeVersion(KubernetesClient client) {
    try {
      var v = client.getKubernetesVersion();
      return Integer.parseInt(v.getMajor().replaceAll("\\D", "")) * 100
          + Integer.parseInt(v.getMinor().replaceAll("\\D", ""));
    } catch (RuntimeException e) {
      return 0;
    }
  }

  @Override
  public void close() {
    try {
      gatewayDeployments.close();
      webhooks.close();
    } finally {
      try {
        pilot.close();
      } finally {
        citadel.close();
      }
    }
  }

  /**
   * Runs the control plane of {@code config} against the current kubeconfig (or in-cluster service
   * account) until the JVM stops; the webhooks listen on 15017.
   */
  public static void run(ControlPlaneConfig config) throws InterruptedException {
    run(config, 15017);
  }

  /**
   * Runs the control plane of {@code config} until the JVM stops, with the webhooks on {@code
   * webhookPort}.
   */
  public static void run(ControlPlaneConfig config, int webhookPort) throws InterruptedException {
    String ns = config.namespace();
    String rev = config.revision();
    KubernetesClient client = new KubernetesClientBuilder().build();
    CountDownLatch stop = new CountDownLatch(1);
    try (Istiod istiod = start(config, webhookPort, client)) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "istiod-stop"));
      System.out.printf(
          "isthmus controlplane %s/%s: xDS :%d, xDS+CA (TLS) :%d, monitoring :%d, ready :%d, webhooks :%d%n",
          ns,
          rev,
          istiod.pilot.xdsPort(),
          istiod.pilot.secureXdsPort(),
          istiod.pilot.monitoringPort(),
          istiod.pilot.readinessPort(),
          istiod.webhooks.port());
      stop.await();
    } finally {
      client.close();
    }
  }
}
