package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * {@code Pruner} deletes objects an IstioOperator owns (by its owner labels) that are no longer
 * desired. It never touches another IstioOperator's objects, objects annotated {@code
 * install.operator.istio.io/prune: "false"}, or CRDs (unless asked to purge them on uninstall).
 */
final class Pruner {
  private static final Logger LOG = Logger.getLogger(Pruner.class.getName());

  private final KubernetesClient client;
  private final LiveCache cache;

  /** A pruner that lists from the API server (uninstall: nothing may be missed). */
  Pruner(KubernetesClient client) {
    this(client, null);
  }

  /**
   * A pruner that lists from the informer caches when it can: objects it does not see yet were
   * created moments ago from the desired set, so they are never candidates anyway.
   */
  Pruner(KubernetesClient client, LiveCache cache) {
    this.client = client;
    this.cache = cache;
  }

  /** Deletes owned objects whose key is not in {@code desired}; returns what it deleted. */
  List<String> prune(IstioOperator owner, Set<String> desired, boolean includeCrds) {
    List<String> deleted = new ArrayList<>();
    for (ManagedKinds.Kind kind : ManagedKinds.ALL) {
      if (kind == ManagedKinds.CRD && !includeCrds) {
        continue;
      }
      for (GenericKubernetesResource live : owned(owner, kind)) {
        if (desired.contains(Objects.key(live)) || OwnerLabels.keep(live)) {
          continue;
        }
        LOG.info("pruning " + Objects.describe(live));
        client
            .resource(live)
            .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
            .delete();
        deleted.add(Objects.describe(live));
      }
    }
    return deleted;
  }

  /** The objects of one kind the IstioOperator owns. */
  List<GenericKubernetesResource> owned(IstioOperator owner, ManagedKinds.Kind kind) {
    if (cache != null) {
      var cached = cache.owned(owner, kind);
      if (cached.isPresent()) {
        return cached.get();
      }
    }
    var op = client.genericKubernetesResources(kind.apiVersion(), kind.kind());
    var items =
        kind.namespaced()
            ? op.inAnyNamespace().withLabels(OwnerLabels.selector(owner)).list().getItems()
            : op.withLabels(OwnerLabels.selector(owner)).list().getItems();
    return items;
  }
}
