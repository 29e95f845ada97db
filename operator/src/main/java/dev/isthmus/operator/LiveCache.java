package dev.isthmus.operator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * {@code LiveCache} reads managed objects from the controller's informer caches (no API call), and
 * tells whether a live object already carries every field of the desired one — in which case
 * server-side apply would change nothing and is skipped. The comparison errs towards applying: any
 * difference, including one the API server would normalize away (a quantity written differently,
 * say), leads to an ordinary apply.
 */
final class LiveCache {
  private final Context<IstioOperator> context;
  private final KubernetesSerialization serialization;

  LiveCache(Context<IstioOperator> context) {
    this.context = context;
    this.serialization = context.getClient().getKubernetesSerialization();
  }

  /**
   * The cached objects of a kind that {@code owner} owns, or empty when that kind has no informer
   * here (the caller then asks the API server).
   */
  Optional<java.util.List<GenericKubernetesResource>> owned(
      IstioOperator owner, ManagedKinds.Kind kind) {
    var source = source(kind);
    if (source.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> selector = OwnerLabels.selector(owner);
    return Optional.of(
        source
            .get()
            .list(
                o -> {
                  Map<String, String> labels = o.getMetadata().getLabels();
                  return labels != null && labels.entrySet().containsAll(selector.entrySet());
                })
            .toList());
  }

  @SuppressWarnings("unchecked")
  private Optional<InformerEventSource<GenericKubernetesResource, IstioOperator>> source(
      ManagedKinds.Kind kind) {
    try {
      return Optional.of(
          (InformerEventSource<GenericKubernetesResource, IstioOperator>)
              context
                  .eventSourceRetriever()
                  .getEventSourceFor(GenericKubernetesResource.class, "owned-" + kind.plural()));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The cached live object, if this kind is watched and the object is in the cache. */
  Optional<GenericKubernetesResource> get(GenericKubernetesResource desired) {
    return ManagedKinds.of(desired.getApiVersion(), desired.getKind())
        .flatMap(this::source)
        .flatMap(
            s ->
                s.get(
                    new ResourceID(
                        desired.getMetadata().getName(), desired.getMetadata().getNamespace())));
  }

  /** True when {@code live} already holds every desired field with the same value. */
  boolean upToDate(GenericKubernetesResource desired, GenericKubernetesResource live) {
    JsonNode want = serialization.convertValue(desired, JsonNode.class);
    JsonNode have = serialization.convertValue(live, JsonNode.class);
    return contains(have, want);
  }

  static boolean contains(JsonNode have, JsonNode want) {
    if (want == null || want.isNull()) {
      return have == null || have.isNull() || have.isMissingNode();
    }
    if (have == null || have.isMissingNode()) {
      return false;
    }
    if (want.isObject()) {
      if (!have.isObject()) {
        return false;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!contains(have.get(e.getKey()), e.getValue())) {
          return false;
        }
      }
      return true;
    }
    if (want.isArray()) {
      if (!have.isArray() || have.size() != want.size()) {
        return false;
      }
      for (int i = 0; i < want.size(); i++) {
        if (!contains(have.get(i), want.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (want.isNumber() && have.isNumber()) {
      return want.decimalValue().compareTo(have.decimalValue()) == 0;
    }
    return want.equals(have);
  }
}
