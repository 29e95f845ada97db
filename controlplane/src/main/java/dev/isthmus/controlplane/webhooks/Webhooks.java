package dev.isthmus.controlplane.webhooks;

import dev.isthmus.controlplane.LeaderLease;
import dev.isthmus.controlplane.webhooks.inject.InjectionConfig;
import dev.isthmus.controlplane.webhooks.inject.SidecarInjector;
import dev.isthmus.controlplane.webhooks.validation.IstioConfigValidator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Webhooks} is the control plane's admission webhook component (Istio's Galley validation
 * and sidecar injector): an HTTPS server with {@code /inject} and {@code /validate}, fed by the
 * injector ConfigMap and the mesh config, plus {@link CaBundleSync} for the webhook configurations'
 * {@code caBundle}.
 *
 * <pre>{@code
 * Webhooks w = Webhooks.start(client, Webhooks.Config.of("istio-system", "default"), servingTls, caRoot);
 * ...
 * w.close();
 * }</pre>
 */
public final class Webhooks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);

  /**
   * Settings.
   *
   * @param bindAddress the address to listen on ({@code 0.0.0.0} in a cluster, {@code 127.0.0.1} in
   *     tests)
   * @param port the HTTPS port, 15017 in Istio; 0 picks a free port
   * @param revision the control plane revision ({@code default} for the unnamed one)
   * @param namespace the control plane's namespace, where the ConfigMaps live
   * @param injectorConfigMap the injector ConfigMap, {@code istio-sidecar-injector[-<rev>]}
   * @param meshConfigMap the mesh config ConfigMap, {@code istio[-<rev>]}
   */
  public record Config(
      String bindAddress,
      int port,
      String revision,
      String namespace,
      String injectorConfigMap,
      String meshConfigMap) {

    /** Istio's names and port 15017 for {@code revision} in {@code namespace}. */
    public static Config of(String namespace, String revision) {
      String suffix =
          revision == null || revision.isEmpty() || revision.equals("default")
              ? ""
              : "-" + revision;
      String rev = suffix.isEmpty() ? "default" : revision;
      return new Config(
          "0.0.0.0", 15017, rev, namespace, "istio-sidecar-injector" + suffix, "istio" + suffix);
    }

    /** A copy listening on {@code address}:{@code port}. */
    public Config withListen(String address, int port) {
      return new Config(address, port, revision, namespace, injectorConfigMap, meshConfigMap);
    }

    /**
     * Name of the MutatingWebhookConfiguration the installer renders for this revision: {@code
     * istio-sidecar-injector[-<rev>]}, with {@code -<namespace>} appended outside istio-system.
     */
    public String mutatingWebhookName() {
      return (revision.equals("default")
              ? "istio-sidecar-injector"
              : "istio-sidecar-injector-" + revision)
          + (namespace.equals("istio-system") ? "" : "-" + namespace);
    }

    /** Name of the ValidatingWebhookConfiguration the installer renders for this revision. */
    public String validatingWebhookName() {
      return (revision.equals("default") ? "istio-validator" : "istio-validator-" + revision)
          + "-"
          + namespace;
    }

    /**
     * ValidatingWebhookConfiguration names kept in sync: the revision's, plus {@code
     * istiod-default-validator} for the default revision.
     */
    public Set<String> validatingWebhookNames() {
      return revision.equals("default")
          ? Set.of(validatingWebhookName(), "istiod-default-validator")
          : Set.of(validatingWebhookName());
    }
  }

  private final Config config;
  private final KubernetesClient client;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private volatile InjectionConfig injection = InjectionConfig.defaults();
  private WebhookServer server;
  private SharedIndexInformer<ConfigMap> configMaps;
  private SharedIndexInformer<Namespace> namespaces;
  private LeaderLease caBundleLease;

  private Webhooks(Config config, KubernetesClient client) {
    this.config = config;
    this.client = client;
  }

  /**
   * Starts watching the ConfigMaps and namespaces, binds the HTTPS server and starts the caBundle
   * sync.
   *
   * @param client the Kubernetes client (not closed by {@link #close()})
   * @param tls the serving certificate source
   * @param root the CA root the webhook configurations must trust
   * @throws UncheckedIOException when the port cannot be bound
   */
  public static Webhooks start(
      KubernetesClient client, Config config, ServingTls tls, CaRootSource root) {
    return start(client, config, tls, root, LeaderLease.DEFAULT_DURATION);
  }

  /**
   * As {@link #start(KubernetesClient, Config, ServingTls, CaRootSource)}; the caBundle sync runs
   * only while this replica holds its revision's Lease {@link LeaderLease#VALIDATION_CONTROLLER}
   * {@code -<revision>} (duration {@code leaseDuration}) in the control plane's namespace.
   */
  public static Webhooks start(
      KubernetesClient client,
      Config config,
      ServingTls tls,
      CaRootSource root,
      Duration leaseDuration) {
    Webhooks w = new Webhooks(config, client);
    try {
      w.doStart(tls, root, leaseDuration);
      return w;
    } catch (RuntimeException e) {
      w.close();
      throw e;
    }
  }

  private void doStart(ServingTls tls, CaRootSource root, Duration leaseDuration) {
    configMaps =
        client
            .configMaps()
            .inNamespace(config.namespace())
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap obj) {
                    reload();
                  }

                  @Override
                  public void onUpdate(ConfigMap oldObj, ConfigMap newObj) {
                    reload();
                  }

                  @Override
                  public void onDelete(ConfigMap obj, boolean deletedFinalStateUnknown) {
                    reload();
                  }
                });
    resources.add(configMaps::close);
    reload();
    namespaces = client.namespaces().inform();
    resources.add(namespaces::close);
    SidecarInjector injector =
        new SidecarInjector(() -> injection, config.namespace(), this::namespaceLabels);
    AdmissionHandler handler = new AdmissionHandler(injector, new IstioConfigValidator());
    try {
      server =
          new WebhookServer(
              new InetSocketAddress(config.bindAddress(), config.port()), tls, handler);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on " + config.bindAddress() + ":" + config.port(), e);
    }
    resources.add(server);
    // Serving runs on every replica; patching caBundle only on the Lease holder.
    caBundleLease =
        LeaderLease.start(
            client,
            config.namespace(),
            LeaderLease.perRevision(LeaderLease.VALIDATION_CONTROLLER, config.revision()),
            leaseDuration,
            () -> {
              CaBundleSync sync =
                  new CaBundleSync(
                      client,
                      root,
                      config.revision(),
                      Set.of(config.mutatingWebhookName()),
                      config.validatingWebhookNames());
              sync.start();
              return sync;
            });
    resources.add(caBundleLease);
  }

  /**
   * Re-reads the injector config from the informer's store; a ConfigMap that does not parse keeps
   * the last good one.
   */
  private void reload() {
    ConfigMap injector = find(config.injectorConfigMap());
    ConfigMap mesh = find(config.meshConfigMap());
    try {
      InjectionConfig parsed =
          InjectionConfig.parse(
              injector == null ? null : injector.getData(),
              mesh == null || mesh.getData() == null ? null : mesh.getData().get("mesh"));
      injection = parsed;
    } catch (IllegalArgumentException e) {
      LOG.warn(
          "ConfigMap {}/{} or {}: {}; keeping the previous injection config",
          config.namespace(),
          config.injectorConfigMap(),
          config.meshConfigMap(),
          e.getMessage());
    }
  }

  private ConfigMap find(String name) {
    if (configMaps == null) {
      return null;
    }
    return configMaps.getStore().getByKey(config.namespace() + "/" + name);
  }

  private Map<String, String> namespaceLabels(String name) {
    Namespace ns = namespaces == null ? null : namespaces.getStore().getByKey(name);
    if (ns == null) {
      // Just-created namespaces may not have reached the informer yet.
      ns = client.namespaces().withName(name).get();
    }
    return ns == null || ns.getMetadata().getLabels() == null
        ? Map.of()
        : ns.getMetadata().getLabels();
  }

  /** The port the HTTPS server is bound to. */
  public int port() {
    return server.port();
  }

  /** True while this replica holds the caBundle Lease and patches webhook configurations. */
  public boolean patchingCaBundle() {
    return caBundleLease != null && caBundleLease.leading();
  }

  /** The injector config currently in effect. */
  public InjectionConfig injectionConfig() {
    return injection;
  }

  /** Stops the server, the informers and the caBundle sync. */
  @Override
  public void close() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.debug("close failed", e);
      }
    }
    resources.clear();
  }
}
