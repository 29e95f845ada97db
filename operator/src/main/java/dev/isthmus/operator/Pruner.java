package dev.isthmus.operator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Pruner} deletes objects an IstioOperator owns (by its owner labels) that are no longer
 * desired. It never touches another IstioOperator's objects, objects annotated {@code
 * install.operator.istio.io/prune: "false"}, or CRDs (unless asked to purge them on uninstall).
 * Kinds in {@link ManagedKinds#WATCHED_NAMESPACES_ONLY} are looked for in the watched namespaces
 * only. A kind the API server does not serve (its CRD was deleted, or the cluster lacks that API
 * version) has no objects left to delete: it is skipped and reported, never an error, so that
 * uninstall always finishes.
 */
final class Pruner {
  private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);

  private final KubernetesClient client;
  private final LiveCache cache;
  private final Set<String> namespaces;

  /** What a prune deleted, and the kinds it skipped because the API server does not serve them. */
  record Outcome(List<String> deleted, List<String> notServed) {}

  /** A pruner that lists from the API server (uninstall: nothing may be missed). */
  Pruner(KubernetesClient client, Set<String> namespaces) {
    this(client, null, namespaces);
  }

  /**
   * A pruner that lists from the informer caches when it can: objects it does not see yet were
   * created moments ago from the desired set, so they are never candidates anyway.
   */
  Pruner(KubernetesClient client, LiveCache cache, Set<String> namespaces) {
    this.client = client;
    this.cache = cache;
    this.namespaces = Set.copyOf(namespaces);
  }

  /** Deletes owned objects of the managed kinds whose key is not in {@code desired}. */
  Outcome prune(IstioOperator owner, Set<String> desired, boolean includeCrds) {
    return prune(owner, desired, includeCrds, List.of());
  }

  /**
   * Deletes owned objects whose key is not in {@code desired}, looking through the managed kinds
   * and the kinds of {@code rendered} (objects of a kind outside {@link ManagedKinds} that a
   * component renders).
   */
  Outcome prune(
      IstioOperator owner,
      Set<String> desired,
      boolean includeCrds,
      Collection<ObjectNode> rendered) {
    List<String> deleted = new ArrayList<>();
    List<String> notServed = new ArrayList<>();
    for (ManagedKinds.Kind kind : kinds(rendered)) {
      if (kind == ManagedKinds.CRD && !includeCrds) {
        continue;
      }
      List<GenericKubernetesResource> owned;
      try {
        owned = owned(owner, kind);
      } catch (KubernetesClientException e) {
        if (served(kind)) {
          throw e;
        }
        LOG.warn("skipping " + kind.kind() + " (" + kind.apiVersion() + "): not served");
        notServed.add(kind.kind() + " (" + kind.apiVersion() + ")");
        continue;
      }
      for (GenericKubernetesResource live : owned) {
        if (desired.contains(Objects.key(live)) || OwnerLabels.keep(live)) {
          continue;
        }
        LOG.info("pruning " + Objects.describe(live));
        try {
          client.resource(live).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) {
            throw e;
          }
          // gone already (or its kind went away meanwhile): nothing left to delete
        }
        deleted.add(Objects.describe(live));
      }
    }
    return new Outcome(deleted, notServed);
  }

  /** The managed kinds in uninstall order, then any other kind {@code rendered} holds. */
  static List<ManagedKinds.Kind> kinds(Collection<ObjectNode> rendered) {
    Set<ManagedKinds.Kind> kinds = new LinkedHashSet<>(ManagedKinds.ALL);
    for (ObjectNode o : rendered) {
      String apiVersion = o.path("apiVersion").asText();
      String kind = o.path("kind").asText();
      if (ManagedKinds.of(apiVersion, kind).isPresent()) {
        continue;
      }
      int slash = apiVersion.indexOf('/');
      kinds.add(
          new ManagedKinds.Kind(
              slash < 0 ? "" : apiVersion.substring(0, slash),
              apiVersion.substring(slash + 1),
              kind,
              null,
              o.path("metadata").path("namespace").isTextual()));
    }
    return List.copyOf(kinds);
  }

  /** The objects of one kind the IstioOperator owns. */
  List<GenericKubernetesResource> owned(IstioOperator owner, ManagedKinds.Kind kind) {
    if (cache != null && kind.plural() != null) {
      var cached = cache.owned(owner, kind);
      if (cached.isPresent()) {
        return cached.get();
      }
    }
    var op = client.genericKubernetesResources(kind.apiVersion(), kind.kind());
    var selector = OwnerLabels.selector(owner);
    if (!kind.namespaced()) {
      return op.withLabels(selector).list().getItems();
    }
    if (!ManagedKinds.WATCHED_NAMESPACES_ONLY.contains(kind)) {
      return op.inAnyNamespace().withLabels(selector).list().getItems();
    }
    List<GenericKubernetesResource> items = new ArrayList<>();
    for (String ns : namespaces) {
      items.addAll(op.inNamespace(ns).withLabels(selector).list().getItems());
    }
    return items;
  }

  /** True when API discovery lists {@code kind} under its group/version. */
  private boolean served(ManagedKinds.Kind kind) {
    try {
      var resources = client.getApiResources(kind.apiVersion());
      return resources != null
          && resources.getResources().stream().anyMatch(r -> kind.kind().equals(r.getKind()));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }
}
