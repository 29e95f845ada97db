package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code IsthmusOperator} runs the IstioOperator controller (JOSDK) against a Kubernetes client:
 * embeddable in tests and in {@code isthmus up}, and what {@code isthmus operator} starts.
 */
public final class IsthmusOperator implements AutoCloseable {
  /** The leader-election Lease's name. */
  public static final String LEASE_NAME = "isthmus-operator-lock";

  private final Operator operator;

  private IsthmusOperator(Operator operator) {
    this.operator = operator;
  }

  /** How to run the operator. */
  public record Config(
      Set<String> watchedNamespaces,
      Optional<LeaderElectionConfiguration> leaderElection,
      IstioOperatorReconciler.OperatorSettings settings,
      Duration resync,
      Function<IstioOperator, RenderResult> renderer,
      List<IstioOperatorReconciler.InstallListener> listeners,
      MeterRegistry registry) {
    /**
     * Watches {@value WatchedNamespaces#DEFAULT} only, no leader election, the real renderer. There
     * is no all-namespaces setting: see {@link WatchedNamespaces}.
     */
    public static Config defaults() {
      return new Config(
          Set.of(WatchedNamespaces.DEFAULT),
          Optional.empty(),
          IstioOperatorReconciler.OperatorSettings.defaults(),
          Duration.ofMinutes(10),
          Translator::render,
          List.of(),
          new SimpleMeterRegistry());
    }

    public Config withListeners(List<IstioOperatorReconciler.InstallListener> l) {
      return new Config(watchedNamespaces, leaderElection, settings, resync, renderer, l, registry);
    }

    public Config withRenderer(Function<IstioOperator, RenderResult> r) {
      return new Config(
          watchedNamespaces, leaderElection, settings, resync, r, listeners, registry);
    }

    /**
     * Only the holder of the Lease {@code isthmus-operator-lock} in {@code namespace} reconciles; a
     * replica that loses it exits, so that it restarts as a follower.
     */
    public Config withLeaderElection(String namespace) {
      return withLeaderElection(new LeaderElectionConfiguration(LEASE_NAME, namespace));
    }

    /** Leader election with explicit settings (lease timings, identity, exit on loss). */
    public Config withLeaderElection(LeaderElectionConfiguration election) {
      return new Config(
          watchedNamespaces,
          Optional.of(election),
          settings,
          resync,
          renderer,
          listeners,
          registry);
    }

    public Config withRegistry(MeterRegistry r) {
      return new Config(
          watchedNamespaces, leaderElection, settings, resync, renderer, listeners, r);
    }

    public Config withCrds(CrdPolicy crds) {
      return new Config(
          watchedNamespaces,
          leaderElection,
          settings.withCrds(crds),
          resync,
          renderer,
          listeners,
          registry);
    }

    /** The namespaces whose IstioOperators are reconciled; at least one. */
    public Config withWatchedNamespaces(Set<String> namespaces) {
      if (namespaces.isEmpty()) {
        throw new IllegalArgumentException("the operator needs at least one namespace to watch");
      }
      return new Config(
          Set.copyOf(namespaces), leaderElection, settings, resync, renderer, listeners, registry);
    }
  }

  /** Starts the controller; the client stays the caller's. */
  public static IsthmusOperator start(KubernetesClient client, Config config) {
    if (config.watchedNamespaces().isEmpty()) {
      // an empty set would mean every namespace to JOSDK
      throw new IllegalArgumentException("the operator needs at least one namespace to watch");
    }
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .checkingCRDAndValidateLocalModel(false)
                  .withCloseClientOnStop(false)
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(config.registry()))
                  .withUseSSAToPatchPrimaryResource(true);
              config.leaderElection().ifPresent(o::withLeaderElectionConfiguration);
            });
    IstioOperatorReconciler reconciler =
        new IstioOperatorReconciler(
            config.renderer(),
            config.settings(),
            Clock.systemUTC(),
            config.listeners(),
            new OperatorMetrics(config.registry()),
            config.watchedNamespaces());
    operator.register(
        reconciler,
        o -> {
          o.withFinalizer(OwnerLabels.FINALIZER)
              .withReconciliationMaxInterval(config.resync())
              .settingNamespaces(config.watchedNamespaces());
        });
    operator.start();
    return new IsthmusOperator(operator);
  }

  /** True once the controller started and its informers are healthy. */
  public boolean healthy() {
    return operator.getRuntimeInfo().isStarted()
        && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
