package dev.isthmus.controlplane;

import dev.isthmus.controlplane.authn.JwksResolver;
import dev.isthmus.controlplane.authn.JwtFilterBuilder;
import dev.isthmus.controlplane.discovery.KubeDiscovery;
import dev.isthmus.controlplane.discovery.MeshConfigWatch;
import dev.isthmus.controlplane.discovery.MeshIndex;
import dev.isthmus.controlplane.discovery.MeshModelBuilder;
import dev.isthmus.controlplane.model.Change;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecuritySettings;
import dev.isthmus.controlplane.server.DebugAccess;
import dev.isthmus.controlplane.server.DynamicKeyManager;
import dev.isthmus.controlplane.server.DynamicTrustManager;
import dev.isthmus.controlplane.server.HttpEndpoints;
import dev.isthmus.controlplane.server.HttpEndpoints.Body;
import dev.isthmus.controlplane.server.HttpEndpoints.Route;
import dev.isthmus.controlplane.server.IstioPrometheusRegistry;
import dev.isthmus.controlplane.server.SelfSignedMaterial;
import dev.isthmus.controlplane.xds.AdsService;
import dev.isthmus.controlplane.xds.CredentialSecrets;
import dev.isthmus.controlplane.xds.CredentialStore;
import dev.isthmus.controlplane.xds.PolicyProblems;
import dev.isthmus.controlplane.xds.PushController;
import dev.isthmus.controlplane.xds.SecretAccess;
import dev.isthmus.controlplane.xds.StreamRateLimit;
import dev.isthmus.controlplane.xds.XdsAuthorization;
import dev.isthmus.controlplane.xds.XdsCache;
import dev.isthmus.controlplane.xds.XdsMetrics;
import io.fabric8.istio.api.api.security.v1beta1.RequestAuthentication;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ControlPlane} is Pilot: Kubernetes and Istio config discovery, xDS over gRPC on a
 * plaintext and a TLS port, Prometheus metrics and debug endpoints, and readiness.
 *
 * <p>Embedded: {@code try (ControlPlane cp = ControlPlane.start(config, client)) {...}}, then read
 * the bound ports. Standalone: {@link #main(String[])} against the current kubeconfig.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

  private final ControlPlaneConfig config;
  private final IstioPrometheusRegistry prometheus;
  private final XdsMetrics metrics;
  private final KubeDiscovery discovery;
  private final PushController pushes;
  private final XdsCache cache;
  private final AdsService ads;
  private Server plain;
  private StreamRateLimit streamLimit;
  private Server secure;
  private HttpEndpoints monitoring;
  private HttpEndpoints readiness;
  private volatile boolean ready;
  private final KubernetesClient client;
  private CredentialStore credentials;
  private dev.isthmus.controlplane.gateway.kube.GatewayApiWatch gatewayApi;
  private LeaderLease gatewayStatusLease;
  private final MeshConfigWatch meshConfig;
  private final JwksResolver jwks;
  private final PolicyProblems problems;

  private ControlPlane(
      ControlPlaneConfig config, KubernetesClient client, IstioPrometheusRegistry prometheus) {
    this.config = config;
    this.client = client;
    this.prometheus = prometheus;
    this.metrics = new XdsMetrics(prometheus.registry());
    MeshModelBuilder builder =
        new MeshModelBuilder(
            config.clusterDomain(),
            config.namespace(),
            (kind, reason) -> metrics.configRejected(kind));
    PushController[] ref = new PushController[1];
    MeshIndex index = new MeshIndex(builder);
    this.discovery = new KubeDiscovery(client, index, c -> ref[0].onChange(c));
    this.meshConfig =
        new MeshConfigWatch(config.trustDomain(), () -> ref[0].onChange(Change.config()));
    // the settings are part of the snapshot so that generation stays a function of it
    this.jwks = new JwksResolver();
    this.problems = new PolicyProblems(client, metrics::configRejected);
    jwks.onChange(() -> ref[0].onChange(Change.config()));
    Supplier<MeshSnapshot> source =
        () -> {
          MeshSnapshot m = index.snapshot();
          SecuritySettings settings =
              meshConfig.settings().withKeySets(keySets(m.policies().requestAuthentications()));
          MeshSnapshot decorated = m.withPolicies(m.policies().withSettings(settings));
          problems.check(decorated.policies());
          return decorated;
        };
    this.cache = new XdsCache(p -> ref[0].generate(p));
    this.pushes =
        new PushController(source, cache, metrics, config.debounceQuiet(), config.debounceMax());
    ref[0] = pushes;
    this.ads = new AdsService(cache, metrics);
  }

  /** Starts with no CA plugged in: the TLS port uses a self-signed certificate. */
  public static ControlPlane start(ControlPlaneConfig config, KubernetesClient client) {
    return start(config, client, SecureServing.none());
  }

  /**
   * {@link #start(ControlPlaneConfig, KubernetesClient, SecureServing, IstioPrometheusRegistry)}
   * with a metrics registry of its own.
   */
  public static ControlPlane start(
      ControlPlaneConfig config, KubernetesClient client, SecureServing secure) {
    return start(config, client, secure, new IstioPrometheusRegistry());
  }

  /**
   * Starts discovery, waits for the informers to sync, builds the first snapshot and opens the
   * ports.
   *
   * @param secure CA services and serving certificate for the TLS port
   * @param prometheus where Pilot registers its meters, and what {@code /metrics} on the monitoring
   *     port serves (with whatever else, such as the CA's meters, is registered there)
   */
  public static ControlPlane start(
      ControlPlaneConfig config,
      KubernetesClient client,
      SecureServing secure,
      IstioPrometheusRegistry prometheus) {
    ControlPlane cp = new ControlPlane(config, client, prometheus);
    try {
      cp.open(secure);
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return cp;
  }

  private void open(SecureServing secureServing) throws IOException {
    meshConfig.start(client, config.namespace(), meshConfigMap(config.revision()));
    discovery.start();
    pushes.initialize();
    gatewayApi =
        dev.isthmus.controlplane.gateway.kube.GatewayApiWatch.start(
            client, discovery, config.clusterDomain(), config.revision());
    var watch = gatewayApi;
    // one replica writes Gateway API statuses, as istiod's status leader
    gatewayStatusLease =
        LeaderLease.start(
            client,
            config.namespace(),
            GATEWAY_STATUS_LEASE,
            LeaderLease.DEFAULT_DURATION,
            () -> {
              watch.writeStatuses(true);
              return () -> watch.writeStatuses(false);
            });
    if (secureServing.xdsAuthenticator().isPresent()) {
      // credentialName secrets are served only to proxies authenticated on the TLS port
      credentials = new CredentialStore(client, cache::redecorate);
      CredentialStore store = credentials;
      SecretAccess access = new SecretAccess(client);
      cache.decorator(
          (proxy, identity, generated) ->
              CredentialSecrets.decorate(proxy, identity, access::mayRead, generated, store::data));
    }
    streamLimit =
        config.xdsStreamsPerSecond() > 0 ? new StreamRateLimit(config.xdsStreamsPerSecond()) : null;
    ServerInterceptor[] admission =
        streamLimit != null ? new ServerInterceptor[] {streamLimit} : new ServerInterceptor[0];
    plain =
        limits(
                Grpc.newServerBuilderForPort(config.xdsPort(), InsecureServerCredentials.create()),
                config)
            .addService(
                ServerInterceptors.intercept(
                    ServerInterceptors.intercept(ads, AdsService.peerInterceptor()), admission))
            .build()
            .start();
    TlsServerCredentials.Builder tls =
        TlsServerCredentials.newBuilder()
            .keyManager(
                new DynamicKeyManager(
                    secureServing
                        .keyMaterial()
                        .orElseGet(
                            () -> new SelfSignedMaterial(config.namespace(), config.revision()))));
    if (!secureServing.clientCertificateRoots().isEmpty()) {
      tls.clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
          .trustManager(new DynamicTrustManager(secureServing::clientCertificateRoots));
    }
    var auth = secureServing.xdsAuthenticator();
    if (auth.isPresent() && secureServing.clientCertificateRoots().isEmpty()) {
      // token-only authentication still needs the handshake to leave room for certificates
      tls.clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
          .trustManager(new DynamicTrustManager(secureServing::clientCertificateRoots));
    }
    var secureAds =
        auth.isPresent()
            ? ServerInterceptors.intercept(
                ads, new XdsAuthorization(auth.get()), AdsService.peerInterceptor())
            : ServerInterceptors.intercept(ads, AdsService.peerInterceptor());
    // the rate limit runs first: a refused stream costs no token review
    var sb =
        limits(Grpc.newServerBuilderForPort(config.secureXdsPort(), tls.build()), config)
            .addService(ServerInterceptors.intercept(secureAds, admission));
    for (BindableService s : secureServing.services()) {
      sb.addService(s);
    }
    secure = sb.build().start();
    DebugAccess debugAccess = new DebugAccess(config.debugOpen(), config.namespace(), auth);
    Map<String, Route> routes = new LinkedHashMap<>();
    routes.put(
        "/metrics",
        Route.open(() -> new Body(IstioPrometheusRegistry.CONTENT_TYPE, prometheus.scrape())));
    routes.put(
        "/debug/syncz",
        new Route(
            () -> new Body("application/json", DebugViews.syncz(ads, instanceName(config))),
            debugAccess));
    routes.put(
        "/debug/adsz",
        new Route(() -> new Body("application/json", DebugViews.adsz(ads)), debugAccess));
    routes.put(
        "/debug/configz",
        new Route(
            () -> new Body("application/json", DebugViews.configz(pushes.current())), debugAccess));
    routes.put("/ready", HttpEndpoints.ready(() -> ready));
    monitoring = new HttpEndpoints(config.monitoringPort(), routes);
    readiness =
        new HttpEndpoints(
            config.readinessPort(), Map.of("/ready", HttpEndpoints.ready(() -> ready)));
    ready = discovery.synced();
    LOG.info(
        "control plane ready: xDS {} (plaintext), {} (TLS), monitoring {}, readiness {}",
        plain.getPort(),
        secure.getPort(),
        monitoring.port(),
        readiness.port());
  }

  /**
   * Istio's keepalive and connection limits on an xDS port: pings every 30 s answered within 10 s,
   * client pings no more often than every 15 s, connections recycled after the configured age (30
   * minutes by default; 10 s grace) so load spreads over replicas, at most 100 concurrent streams
   * per connection, and messages of at most 4 MiB from clients; calls run on a pool of {@link
   * #CALL_THREADS} threads.
   */
  private ServerBuilder<?> limits(ServerBuilder<?> b, ControlPlaneConfig config) {
    // a bounded pool: gRPC's default grows a thread for every call that waits (a thousand proxies
    // connecting at once wait for the one that builds their shared resources), each with its stack
    b.executor(calls)
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .permitKeepAliveTime(15, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .maxConnectionAge(config.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionAgeGrace(10, TimeUnit.SECONDS)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES);
    if (b instanceof NettyServerBuilder netty) {
      netty.maxConcurrentCallsPerConnection(MAX_STREAMS_PER_CONNECTION);
    }
    return b;
  }

  static final int MAX_STREAMS_PER_CONNECTION = 100;

  /** The Lease of the writer of Gateway API statuses (istiod's name). */
  static final String GATEWAY_STATUS_LEASE = "istio-gateway-status-leader";

  /** Threads that run the xDS and CA servers' calls. */
  static final int CALL_THREADS = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());

  private final java.util.concurrent.ExecutorService calls =
      java.util.concurrent.Executors.newFixedThreadPool(
          CALL_THREADS,
          new java.util.concurrent.ThreadFactory() {
            private final java.util.concurrent.atomic.AtomicInteger n =
                new java.util.concurrent.atomic.AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
              Thread t = new Thread(r, "xds-call-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            }
          });
  static final int MAX_INBOUND_MESSAGE_BYTES = 4 * 1024 * 1024;

  /**
   * The key sets of the JWT rules without inline keys, resolved by this control plane (a source
   * seen for the first time is fetched now; later ones come from the resolver's cache, refreshed in
   * the background, which asks for a push when a set changes).
   */
  private Map<String, String> keySets(List<ConfigEntry<RequestAuthentication>> policies) {
    Map<String, String> out = new java.util.TreeMap<>();
    for (ConfigEntry<RequestAuthentication> e : policies) {
      if (e.spec().getJwtRules() == null) {
        continue;
      }
      for (var rule : e.spec().getJwtRules()) {
        if (rule.getJwks() != null && !rule.getJwks().isEmpty()) {
          continue;
        }
        out.computeIfAbsent(
            SecuritySettings.keySetKey(rule.getIssuer(), rule.getJwksUri()),
            k ->
                jwks.keySet(
                    rule.getIssuer(), rule.getJwksUri(), JwtFilterBuilder.DEFAULT_FETCH_TIMEOUT));
      }
    }
    return out;
  }

  /** The mesh config ConfigMap of a revision: {@code istio}, or {@code istio-<rev>}. */
  static String meshConfigMap(String revision) {
    return revision == null || revision.isEmpty() || revision.equals("default")
        ? "istio"
        : "istio-" + revision;
  }

  /** Bound plaintext xDS port. */
  public int xdsPort() {
    return plain.getPort();
  }

  /** Bound TLS xDS port. */
  public int secureXdsPort() {
    return secure.getPort();
  }

  /**
   * This instance's name for {@code /debug/syncz}: the pod name as istiod reports it, else {@code
   * istiod[-revision]}.
   */
  static String instanceName(ControlPlaneConfig config) {
    for (String env : new String[] {"POD_NAME", "HOSTNAME"}) {
      String v = System.getenv(env);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return "default".equals(config.revision()) ? "istiod" : "istiod-" + config.revision();
  }

  /** Bound metrics and debug port. */
  public int monitoringPort() {
    return monitoring.port();
  }

  /** Bound readiness port. */
  public int readinessPort() {
    return readiness.port();
  }

  /** Metrics, for embedding code and tests. */
  public XdsMetrics metrics() {
    return metrics;
  }

  /** The push controller, to read the current snapshot or push count. */
  public PushController pushes() {
    return pushes;
  }

  /** Open xDS streams. */
  public AdsService ads() {
    return ads;
  }

  /** The admission limit of new xDS streams, when one is configured. */
  public Optional<StreamRateLimit> streamLimit() {
    return Optional.ofNullable(streamLimit);
  }

  /** Whether informers synced and ports are open. */
  public boolean ready() {
    return ready;
  }

  @Override
  public void close() {
    ready = false;
    shutdown(plain);
    shutdown(secure);
    // the cancelled calls' callbacks (each stream's clean-up) are queued on the pool: let them run
    calls.shutdown();
    try {
      if (!calls.awaitTermination(5, TimeUnit.SECONDS)) {
        calls.shutdownNow();
      }
    } catch (InterruptedException e) {
      calls.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (monitoring != null) {
      monitoring.close();
    }
    if (readiness != null) {
      readiness.close();
    }
    if (streamLimit != null) {
      streamLimit.close();
    }
    pushes.close();
    if (gatewayStatusLease != null) {
      gatewayStatusLease.close();
    }
    if (gatewayApi != null) {
      gatewayApi.close();
    }
    discovery.close();
    meshConfig.close();
    jwks.close();
    problems.close();
    if (credentials != null) {
      credentials.close();
    }
  }

  private static void shutdown(Server s) {
    if (s != null) {
      s.shutdownNow();
      try {
        s.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
