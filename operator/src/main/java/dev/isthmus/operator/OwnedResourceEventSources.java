package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Watches every kind the operator manages (label {@code operator.istio.io/managed=Reconcile}) and
 * maps a change back to the owning IstioOperator, so that a manual edit or deletion is reverted by
 * the next reconcile (drift correction). Cluster-scoped objects also wake every other
 * IstioOperator: a shared object left behind by an uninstalled owner is taken over by the next one.
 */
final class OwnedResourceEventSources {
  private OwnedResourceEventSources() {}

  /**
   * One informer per managed kind, in every namespace except for the kinds the operator may only
   * touch in the namespaces it watches ({@link ManagedKinds#WATCHED_NAMESPACES_ONLY}).
   */
  static List<EventSource<?, IstioOperator>> create(
      EventSourceContext<IstioOperator> context, Set<String> namespaces) {
    List<EventSource<?, IstioOperator>> sources = new ArrayList<>();
    for (ManagedKinds.Kind kind : ManagedKinds.ALL) {
      var builder =
          InformerEventSourceConfiguration.from(
                  new GroupVersionKind(kind.group(), kind.version(), kind.kind()),
                  IstioOperator.class)
              .withName("owned-" + kind.plural())
              .withLabelSelector(OwnerLabels.MANAGED + "=" + OwnerLabels.MANAGED_VALUE);
      if (ManagedKinds.WATCHED_NAMESPACES_ONLY.contains(kind)) {
        builder.withNamespaces(namespaces);
      } else {
        builder.withWatchAllNamespaces();
      }
      InformerEventSourceConfiguration<GenericKubernetesResource> config =
          builder
              .withSecondaryToPrimaryMapper(
                  r -> {
                    Set<ResourceID> ids = new HashSet<>();
                    OwnerLabels.owner(r)
                        .ifPresent(o -> ids.add(new ResourceID(o.name(), o.namespace())));
                    boolean shared =
                        !kind.namespaced()
                            || "Base"
                                .equals(
                                    r.getMetadata().getLabels() == null
                                        ? null
                                        : r.getMetadata().getLabels().get(OwnerLabels.COMPONENT));
                    if (shared) {
                      context
                          .getPrimaryCache()
                          .list()
                          .forEach(p -> ids.add(ResourceID.fromResource(p)));
                    }
                    return ids;
                  })
              .build();
      sources.add(new InformerEventSource<>(config, context));
    }
    return sources;
  }
}
