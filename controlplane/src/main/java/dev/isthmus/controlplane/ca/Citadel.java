package dev.isthmus.controlplane.ca;

import dev.isthmus.controlplane.LeaderLease;
import dev.isthmus.controlplane.SecureServing;
import dev.isthmus.controlplane.ServingKeyMaterial;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.grpc.BindableService;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsServerCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Citadel} is the control plane's certificate authority, wire-compatible with Istio's agent.
 *
 * <p>{@link #start(KubernetesClient)} loads or creates the signing authority ({@code cacerts} wins
 * over {@code istio-ca-secret}), issues the serving certificate, writes {@code istio-ca-root-cert}
 * into every namespace (on the replica holding Lease {@code istio-namespace-controller-election}
 * only) and starts watching for CA changes and rotation. Serve {@link #service()} with {@link
 * #serverCredentials()} (or {@link #servingCertificate()}'s key and trust managers) on the control
 * plane's gRPC port, 15012 in Istio; as a {@link SecureServing} it plugs into {@code
 * ControlPlane.start}. Client certificates (renewal over mTLS) are only seen when the server asks
 * for them: {@link #serverCredentials()} does, with {@link ServingCertificate#trustManager()}.
 */
public final class Citadel implements SecureServing, AutoCloseable {
  /** Called on the CA's own thread with the new {@code root-cert.pem} content after a change. */
  @FunctionalInterface
  public interface RootListener {
    /** The distributed roots changed to {@code rootPem}. */
    void rootChanged(String rootPem);
  }

  private static final Logger LOG = LoggerFactory.getLogger(Citadel.class);

  private final CaConfig config;
  private final AtomicReference<SigningAuthority> authority = new AtomicReference<>();
  private final ServingCertificate serving;
  private final CaMetrics metrics;
  private final List<RootListener> listeners = new CopyOnWriteArrayList<>();
  private final AuthInterceptor interceptor = new AuthInterceptor();
  private final List<SharedIndexInformer<Secret>> secretInformers = new ArrayList<>();
  private ScheduledExecutorService executor;
  private CaSecrets secrets;
  private final AtomicReference<RootCertDistributor> distributor = new AtomicReference<>();
  private LeaderLease distribution;
  private CallerAuthenticator authenticator;
  private CertificateService service;

  /**
   * A CA configured by {@code config} whose metrics stay in a registry of its own (read them with
   * {@link #metrics()}); nothing happens until {@link #start}.
   */
  public Citadel(CaConfig config) {
    this(config, new SimpleMeterRegistry());
  }

  /**
   * A CA configured by {@code config} that registers its metrics in {@code registry}; nothing
   * happens until {@link #start}.
   */
  public Citadel(CaConfig config, MeterRegistry registry) {
    this.config = config;
    this.serving = new ServingCertificate(config);
    this.metrics = new CaMetrics(registry, authority::get);
  }

  /**
   * Loads the signing authority and starts serving, distribution and rotation, with Istio's
   * 30-second Lease for distribution.
   *
   * @throws IllegalArgumentException when Secret {@code cacerts} or {@code istio-ca-secret} holds
   *     unusable material (the message names the Secret and key)
   */
  public void start(KubernetesClient client) {
    start(client, LeaderLease.DEFAULT_DURATION);
  }

  /**
   * Loads the signing authority and starts serving and rotation on this replica; {@code
   * istio-ca-root-cert} is written only while this replica holds Lease {@link
   * LeaderLease#NAMESPACE_CONTROLLER} (duration {@code leaseDuration}) in the CA's namespace.
   *
   * @throws IllegalArgumentException when Secret {@code cacerts} or {@code istio-ca-secret} holds
   *     unusable material (the message names the Secret and key)
   */
  public synchronized void start(KubernetesClient client, Duration leaseDuration) {
    if (executor != null) {
      throw new IllegalStateException("already started");
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "citadel");
              t.setDaemon(true);
              return t;
            });
    secrets = new CaSecrets(client, config, metrics);
    authority.set(secrets.load(null));
    serving.renewIfDue(authority.get());
    authenticator = new CallerAuthenticator(client, config, authority::get);
    service = new CertificateService(config, authenticator, authority::get, metrics);
    distribution =
        LeaderLease.start(
            client,
            config.namespace(),
            LeaderLease.NAMESPACE_CONTROLLER,
            leaseDuration,
            () -> distribute(client));
    for (String name : List.of(CaSecrets.PLUGGED_IN_SECRET, CaSecrets.SELF_SIGNED_SECRET)) {
      secretInformers.add(
          client.secrets().inNamespace(config.namespace()).withName(name).inform(onAnyChange(), 0));
    }
    long every = config.checkInterval().toMillis();
    executor.scheduleWithFixedDelay(this::reload, every, every, TimeUnit.MILLISECONDS);
    SigningAuthority ca = authority.get();
    LOG.info(
        "CA started from {} in {}: root {} expires {}",
        ca.source(),
        config.namespace(),
        ca.root().getSubjectX500Principal(),
        ca.root().getNotAfter().toInstant());
  }

  /** Starts writing istio-ca-root-cert; called when this replica acquires the Lease. */
  private AutoCloseable distribute(KubernetesClient client) {
    RootCertDistributor d = new RootCertDistributor(client, executor);
    d.start(rootPem());
    distributor.set(d);
    // A root change between start() and set() above would have missed this distributor.
    executor.execute(() -> d.update(rootPem()));
    return () -> {
      distributor.compareAndSet(d, null);
      d.close();
    };
  }

  /** True while this replica holds the distribution Lease and writes istio-ca-root-cert. */
  public boolean distributing() {
    return distribution != null && distribution.leading();
  }

  private ResourceEventHandler<Secret> onAnyChange() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Secret obj) {
        executor.execute(Citadel.this::reload);
      }

      @Override
      public void onUpdate(Secret oldObj, Secret newObj) {
        executor.execute(Citadel.this::reload);
      }

      @Override
      public void onDelete(Secret obj, boolean deletedFinalStateUnknown) {
        executor.execute(Citadel.this::reload);
      }
    };
  }

  /** Re-reads the Secrets, rotates what is due and propagates changes; runs on the CA thread. */
  private void reload() {
    SigningAuthority old = authority.get();
    SigningAuthority next;
    try {
      next = secrets.load(old);
    } catch (RuntimeException e) {
      LOG.error("keeping the current CA: cannot load the new one: {}", e.getMessage());
      next = old;
    }
    boolean changed = !next.chain().equals(old.chain()) || !next.roots().equals(old.roots());
    if (changed) {
      authority.set(next);
      LOG.info("CA changed: now {} with root {}", next.source(), next.root().getSerialNumber());
    }
    try {
      serving.renewIfDue(authority.get());
    } catch (RuntimeException e) {
      LOG.error("cannot renew the serving certificate", e);
    }
    if (changed && !next.roots().equals(old.roots())) {
      String pem = next.rootsPem();
      RootCertDistributor d = distributor.get();
      if (d != null) {
        d.update(pem);
      }
      for (RootListener l : listeners) {
        try {
          l.rootChanged(pem);
        } catch (RuntimeException e) {
          LOG.error("root listener failed", e);
        }
      }
    }
  }

  /** The gRPC {@code istio.v1.auth.IstioCertificateService}, with authentication attached. */
  public BindableService service() {
    CertificateService s = requireStarted(service);
    ServerServiceDefinition intercepted = ServerInterceptors.intercept(s, interceptor);
    return () -> intercepted;
  }

  /** {@link SecureServing}: the CA service, to be bound on the control plane's TLS port. */
  @Override
  public List<BindableService> services() {
    return List.of(service());
  }

  /** {@link SecureServing}: the renewing serving certificate for the TLS port. */
  @Override
  public Optional<ServingKeyMaterial> keyMaterial() {
    return Optional.of(serving);
  }

  /**
   * The interceptor that captures a call's token and client certificate; {@link #service()} has it
   * already. Other services (xDS) can use it with {@link #authenticator()}.
   */
  public ServerInterceptor authInterceptor() {
    return interceptor;
  }

  /** xDS streams on the TLS port are authenticated as CA calls are. */
  @Override
  public java.util.Optional<XdsAuthenticator> xdsAuthenticator() {
    return java.util.Optional.of(
        (authorization, chain) -> {
          try {
            return authenticator().authenticate(authorization, chain);
          } catch (CaException e) {
            throw e.status().asException();
          }
        });
  }

  /** Authenticates callers by client certificate or service-account token. */
  public CallerAuthenticator authenticator() {
    return requireStarted(authenticator);
  }

  /**
   * TLS credentials for the gRPC server: the renewing serving certificate, and optional client
   * authentication trusting this CA's roots (certificate renewal over mTLS).
   */
  public ServerCredentials serverCredentials() {
    requireStarted(service);
    return TlsServerCredentials.newBuilder()
        .keyManager(serving.keyManager())
        .trustManager(serving.trustManager())
        .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
        .build();
  }

  /** The control plane's serving certificate (key and trust managers, PEMs). */
  public ServingCertificate servingCertificate() {
    return serving;
  }

  /** The signing authority in use. */
  public SigningAuthority signingAuthority() {
    return requireStarted(authority.get());
  }

  /**
   * Client certificates issued by this CA are accepted on the TLS port (renewal without a token).
   */
  @Override
  public java.util.List<X509Certificate> clientCertificateRoots() {
    return signingAuthority().roots();
  }

  /** The root the current chain ends with. */
  public X509Certificate root() {
    return signingAuthority().root();
  }

  /** The distributed roots as PEM, the content of {@code root-cert.pem}. */
  public String rootPem() {
    return signingAuthority().rootsPem();
  }

  /** Calls {@code listener} after each change of the roots. */
  public void addRootListener(RootListener listener) {
    listeners.add(listener);
  }

  /** Istio-named CA metrics. */
  public CaMetrics metrics() {
    return metrics;
  }

  /** The configuration. */
  public CaConfig config() {
    return config;
  }

  /** Stops watching and rotating; issued certificates stay valid. */
  @Override
  public synchronized void close() {
    secretInformers.forEach(SharedIndexInformer::close);
    secretInformers.clear();
    if (distribution != null) {
      distribution.close();
    }
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  private static <T> T requireStarted(T value) {
    if (value == null) {
      throw new IllegalStateException("Citadel has not been started");
    }
    return value;
  }
}
