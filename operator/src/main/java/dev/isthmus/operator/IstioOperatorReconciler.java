package dev.isthmus.operator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.ComponentStatus;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorStatus;
import dev.isthmus.patch.PatchException;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.ValidationException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code IstioOperatorReconciler} renders an IstioOperator, applies the result component by
 * component, prunes what is no longer rendered, reports component health in the status, and
 * uninstalls on deletion. An invalid spec applies nothing: the last good configuration stays in
 * force (and is still drift-corrected while this process runs).
 */
public class IstioOperatorReconciler implements Reconciler<IstioOperator>, Cleaner<IstioOperator> {
  private static final Logger LOG = LoggerFactory.getLogger(IstioOperatorReconciler.class);

  private final Function<IstioOperator, RenderResult> renderer;
  private final OperatorSettings settings;
  private final Clock clock;
  private final StatusBuilder statuses;
  private final LastApplied lastGood = new LastApplied();
  private final List<InstallListener> listeners;
  private final OperatorMetrics metrics;
  private final Set<String> namespaces;
  private final Backoff backoff;

  /**
   * A reconciler for the IstioOperators in {@code namespaces} (the controller watches the same set;
   * IstioOperators elsewhere are neither reconciled nor considered when uninstalling).
   */
  public IstioOperatorReconciler(
      Function<IstioOperator, RenderResult> renderer,
      OperatorSettings settings,
      Clock clock,
      List<InstallListener> listeners,
      OperatorMetrics metrics,
      Set<String> namespaces) {
    if (namespaces.isEmpty()) {
      throw new IllegalArgumentException("the operator needs at least one namespace to watch");
    }
    this.namespaces = Set.copyOf(namespaces);
    this.metrics = metrics;
    this.renderer = renderer;
    this.settings = settings;
    this.clock = clock;
    this.statuses = new StatusBuilder(clock);
    this.listeners = List.copyOf(listeners);
    this.backoff = new Backoff(settings.requeueAfter(), settings.maxRequeueAfter());
  }

  @Override
  public List<EventSource<?, IstioOperator>> prepareEventSources(
      EventSourceContext<IstioOperator> context) {
    return OwnedResourceEventSources.create(context, namespaces);
  }

  @Override
  public UpdateControl<IstioOperator> reconcile(IstioOperator iop, Context<IstioOperator> context) {
    if (!namespaces.contains(iop.getMetadata().getNamespace())) {
      // the controller only watches these namespaces; this is the second lock on the same door
      return UpdateControl.noUpdate();
    }
    var sample = metrics.start();
    UpdateControl<IstioOperator> control = null;
    try {
      control = reconcileTimed(iop, context);
      return control;
    } finally {
      metrics.reconciled(
          sample,
          control == null ? "exception" : control.isNoUpdate() ? "unchanged" : "status-changed");
    }
  }

  private UpdateControl<IstioOperator> reconcileTimed(
      IstioOperator iop, Context<IstioOperator> context) {
    KubernetesClient client = context.getClient();
    EventRecorder events = new EventRecorder(client, clock);
    long generation = iop.getMetadata().getGeneration();
    IstioOperatorStatus previous = iop.getStatus();
    String key = iop.getMetadata().getNamespace() + "/" + iop.getMetadata().getName();

    RenderResult rendered;
    try {
      rendered = renderer.apply(iop);
    } catch (ValidationException e) {
      return rejected(iop, client, events, key, e.errors());
    } catch (PatchException e) {
      return rejected(iop, client, events, key, List.of(e.getMessage()));
    }

    Set<String> desired = new HashSet<>();
    List<String> notes = new ArrayList<>();
    List<String> pruned;
    try {
      LiveCache cache = new LiveCache(context);
      // all or nothing: an object the API server would refuse stops the apply before any write
      new DryRun(client, settings.crds(), cache).check(iop, rendered.components());
      if (previous != null
          && previous.observedGeneration != null
          && previous.observedGeneration != generation) {
        RiskyChange.announce(client, events, iop, rendered, namespaces);
      }
      ManifestApplier applier =
          new ManifestApplier(
              client, settings.crdEstablishTimeout().toSeconds(), settings.crds(), cache);
      for (ComponentManifest component : rendered.components()) {
        notes.addAll(applier.apply(iop, component).stream().map(s -> "skipped " + s).toList());
        component.objects().forEach(o -> desired.add(Objects.key(o)));
      }
      pruned =
          new Pruner(client, cache, namespaces)
              .prune(iop, desired, false, rendered.objects())
              .deleted();
      metrics.applied(desired.size());
      metrics.pruned(pruned.size());
    } catch (KubernetesClientException | IllegalStateException e) {
      if (interrupted(e)) {
        // the controller is stopping: abandon this reconcile without recording a failure
        Thread.currentThread().interrupt();
        throw e;
      }
      String message = "apply failed: " + e.getMessage();
      LOG.warn(key + ": " + message);
      String reason = e instanceof DryRun.Refused ? "ApplyRefused" : "ApplyFailed";
      IstioOperatorStatus failed = statuses.failed(previous, generation, reason, List.of(message));
      if (StatusBuilder.changed(previous, failed)) {
        events.warning(iop, reason, message);
      }
      // a persistent error (a webhook rejecting, a quota, RBAC) is retried less and less often;
      // an unreachable API server is not this installation's fault, and the apply carries on as
      // soon as it is back rather than after a backoff grown through the outage
      Duration retry = Backoff.unreachable(e) ? settings.requeueAfter() : backoff.failed(key);
      return patchIfChanged(iop, previous, failed).rescheduleAfter(retry);
    }
    backoff.succeeded(key);
    lastGood.applied(client, iop, key, rendered);
    boolean newGeneration =
        previous == null
            || previous.observedGeneration == null
            || previous.observedGeneration != generation;
    if (newGeneration && !rendered.warnings().isEmpty()) {
      // what manifest generate prints on stderr, once per generation
      events.warning(iop, "RenderWarning", String.join("; ", rendered.warnings()));
    }
    if (previous == null || previous.observedGeneration == null) {
      events.normal(iop, "Installed", "Applied " + desired.size() + " objects");
    } else if (previous.observedGeneration != generation) {
      events.normal(
          iop, "Updated", "Applied " + desired.size() + " objects for generation " + generation);
    }
    if (!pruned.isEmpty()) {
      events.normal(iop, "Pruned", "Deleted " + String.join(", ", pruned));
    }
    listeners.forEach(l -> l.applied(iop, rendered));

    Map<String, ComponentHealth.Health> health = health(client, rendered, previous);
    String version = version(rendered);
    IstioOperatorStatus next = statuses.applied(previous, generation, health, version, notes);
    UpdateControl<IstioOperator> control = patchIfChanged(iop, previous, next);
    if (next.status != InstallStatus.HEALTHY) {
      control.rescheduleAfter(settings.requeueAfter());
    }
    return control;
  }

  @Override
  public DeleteControl cleanup(IstioOperator iop, Context<IstioOperator> context) {
    KubernetesClient client = context.getClient();
    // CRDs installed by someone else (OLM) are theirs to remove
    boolean purgeCrds =
        settings.crds() == CrdPolicy.APPLY
            && iop.getMetadata().getAnnotations() != null
            && "true"
                .equalsIgnoreCase(
                    iop.getMetadata().getAnnotations().get(OwnerLabels.PURGE_CRDS_ANNOTATION));
    EventRecorder events = new EventRecorder(client, clock);
    String key = iop.getMetadata().getNamespace() + "/" + iop.getMetadata().getName();
    Set<String> handedOver = handOverShared(client, iop);
    Pruner.Outcome outcome =
        new Pruner(client, namespaces).prune(iop, handedOver, purgeCrds, renderedObjects(iop, key));
    List<String> deleted = outcome.deleted();
    for (String kind : outcome.notServed()) {
      // its objects went with its API (a deleted CRD): nothing is left to delete, and waiting for
      // the API to come back would keep the IstioOperator's finalizer forever
      events.warning(
          iop,
          "KindNotServed",
          "Uninstall skipped " + kind + ": the API server does not serve this kind");
    }
    lastGood.forget(key);
    backoff.succeeded(key);
    listeners.forEach(l -> l.uninstalled(iop));
    LOG.info(
        "uninstalled "
            + iop.getMetadata().getNamespace()
            + "/"
            + iop.getMetadata().getName()
            + ": deleted "
            + deleted.size()
            + " objects");
    events.normal(iop, "Uninstalled", "Deleted " + deleted.size() + " objects");
    return DeleteControl.defaultDelete();
  }

  /**
   * What this IstioOperator renders now and rendered last time it was applied: uninstall looks for
   * objects of these kinds too, beyond {@link ManagedKinds}.
   */
  private List<ObjectNode> renderedObjects(IstioOperator iop, String key) {
    List<ObjectNode> objects = new ArrayList<>();
    RenderResult previous = lastGood.render(key);
    if (previous != null) {
      objects.addAll(previous.objects());
    }
    try {
      objects.addAll(renderer.apply(iop).objects());
    } catch (RuntimeException e) {
      // an invalid spec renders nothing: the managed kinds and the last good render remain
    }
    return objects;
  }

  /**
   * Shared objects this IstioOperator holds that another installed IstioOperator also renders (the
   * Base component's, when two revisions are installed) are handed over to it rather than deleted,
   * so uninstalling the old revision never takes away what the new one runs on.
   */
  private Set<String> handOverShared(KubernetesClient client, IstioOperator leaving) {
    Set<String> kept = new HashSet<>();
    List<IstioOperator> others = new ArrayList<>();
    for (String ns : namespaces) {
      others.addAll(client.resources(IstioOperator.class).inNamespace(ns).list().getItems());
    }
    for (IstioOperator other : others) {
      boolean same =
          other.getMetadata().getUid() != null
              && other.getMetadata().getUid().equals(leaving.getMetadata().getUid());
      if (same || other.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      RenderResult theirs;
      try {
        theirs = renderer.apply(other);
      } catch (RuntimeException e) {
        continue; // an invalid IstioOperator takes nothing over
      }
      for (ComponentManifest component : theirs.components()) {
        if (!"Base".equals(component.component())) {
          continue;
        }
        for (var object : Objects.toResources(client, component.objects())) {
          GenericKubernetesResource live;
          try {
            live = client.resource(object).get();
          } catch (KubernetesClientException e) {
            LOG.warn("cannot read " + Objects.describe(object) + ": " + e.getMessage());
            continue; // its kind may no longer be served: there is nothing to hand over
          }
          boolean ours =
              live != null && OwnerLabels.owner(live).map(o -> o.is(leaving)).orElse(false);
          if (ours && kept.add(Objects.key(object))) {
            client
                .resource(object)
                .fieldManager(OwnerLabels.FIELD_MANAGER)
                .forceConflicts()
                .serverSideApply();
          }
        }
      }
    }
    return kept;
  }

  private UpdateControl<IstioOperator> rejected(
      IstioOperator iop,
      KubernetesClient client,
      EventRecorder events,
      String key,
      List<String> errors) {
    IstioOperatorStatus previous = iop.getStatus();
    long generation = iop.getMetadata().getGeneration();
    LOG.warn(key + ": invalid spec: " + String.join("; ", errors));
    RenderResult good = lastGood.renderOrRecover(client, iop, key, renderer);
    if (good != null) {
      // keep the previous good configuration in force (drift correction) without touching anything
      // else
      ManifestApplier applier =
          new ManifestApplier(
              client, settings.crdEstablishTimeout().toSeconds(), settings.crds(), null);
      good.components().forEach(c -> applier.apply(iop, c));
    }
    IstioOperatorStatus failed = statuses.failed(previous, generation, "InvalidSpec", errors);
    if (StatusBuilder.changed(previous, failed)) {
      events.warning(iop, "InvalidSpec", String.join("; ", errors));
    }
    return patchIfChanged(iop, previous, failed);
  }

  private static boolean interrupted(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedException) {
        return true;
      }
    }
    return Thread.currentThread().isInterrupted();
  }

  private Map<String, ComponentHealth.Health> health(
      KubernetesClient client, RenderResult rendered, IstioOperatorStatus previous) {
    ComponentHealth checker = new ComponentHealth(client);
    Map<String, ComponentHealth.Health> out = new LinkedHashMap<>();
    for (ComponentManifest component : rendered.components()) {
      ComponentStatus before =
          previous == null || previous.componentStatus == null
              ? null
              : previous.componentStatus.get(component.component());
      boolean wasHealthy = before != null && before.status == InstallStatus.HEALTHY;
      ComponentHealth.Health h = checker.check(component, wasHealthy);
      out.merge(
          component.component(),
          h,
          (a, b) -> {
            List<String> waiting = new ArrayList<>(a.waiting());
            waiting.addAll(b.waiting());
            return new ComponentHealth.Health(InstallStatus.worst(a.status(), b.status()), waiting);
          });
    }
    return out;
  }

  private static String version(RenderResult rendered) {
    IntOrString tag = rendered.merged().getSpec() == null ? null : rendered.merged().getSpec().tag;
    if (tag == null) {
      return null;
    }
    return tag.getStrVal() != null ? tag.getStrVal() : String.valueOf(tag.getIntVal());
  }

  private UpdateControl<IstioOperator> patchIfChanged(
      IstioOperator iop, IstioOperatorStatus previous, IstioOperatorStatus next) {
    metrics.status(iop, next);
    if (!StatusBuilder.changed(previous, next)) {
      return UpdateControl.noUpdate();
    }
    IstioOperator patch = new IstioOperator();
    patch.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(iop.getMetadata().getName())
            .withNamespace(iop.getMetadata().getNamespace())
            .build());
    patch.setStatus(next);
    return UpdateControl.patchStatus(patch);
  }

  /**
   * Settings the reconciler needs. {@code requeueAfter} is how soon an installation that is not yet
   * healthy is looked at again, and the first retry after a failed apply; retries after further
   * consecutive failures double up to {@code maxRequeueAfter}.
   */
  public record OperatorSettings(
      Duration requeueAfter,
      Duration maxRequeueAfter,
      Duration crdEstablishTimeout,
      CrdPolicy crds) {
    public static OperatorSettings defaults() {
      return new OperatorSettings(
          Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(30), CrdPolicy.APPLY);
    }

    public OperatorSettings withCrds(CrdPolicy policy) {
      return new OperatorSettings(requeueAfter, maxRequeueAfter, crdEstablishTimeout, policy);
    }
  }

  /**
   * Told after each successful apply and after uninstall (the local runtime starts and stops
   * components on it).
   */
  public interface InstallListener {
    void applied(IstioOperator iop, RenderResult rendered);

    void uninstalled(IstioOperator iop);
  }
}
