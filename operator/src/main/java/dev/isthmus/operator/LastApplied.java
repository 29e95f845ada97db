package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.api.v1alpha1.IstioOperatorSpec;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LastApplied} is the configuration in force for each IstioOperator: the render of its last
 * successful install, in memory, and that install's spec in a ConfigMap beside it ({@code
 * <name>-isthmus-last-applied}, owned by the IstioOperator so that it goes with it), so that an
 * operator that restarts, or takes over as leader, while an invalid spec is in place can still
 * render the configuration in force and correct drift from it.
 *
 * <p>It writes only when the applied spec changed: a converged reconcile writes nothing.
 */
final class LastApplied {
  private static final Logger LOG = LoggerFactory.getLogger(LastApplied.class);
  static final String SUFFIX = "-isthmus-last-applied";
  static final String SPEC_KEY = "spec.json";
  static final String GENERATION_KEY = "generation";
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final Map<String, String> recorded = new ConcurrentHashMap<>();
  private final Map<String, RenderResult> renders = new ConcurrentHashMap<>();

  /** Records a successful install of {@code iop} (key {@code namespace/name}) and its render. */
  void applied(KubernetesClient client, IstioOperator iop, String key, RenderResult rendered) {
    renders.put(key, rendered);
    record(client, iop);
  }

  /** The render of the last successful install, or null. */
  RenderResult render(String key) {
    return renders.get(key);
  }

  /** Forgets an IstioOperator that is gone. */
  void forget(String key) {
    renders.remove(key);
    recorded.remove(key);
  }

  /**
   * The render of the last successful install; after a restart or a leader change emptied memory,
   * the render of the recorded spec; null when there is none or it no longer renders.
   */
  RenderResult renderOrRecover(
      KubernetesClient client,
      IstioOperator iop,
      String key,
      Function<IstioOperator, RenderResult> renderer) {
    return renders.computeIfAbsent(
        key,
        k ->
            load(client, iop)
                .map(
                    spec -> {
                      try {
                        return renderer.apply(spec);
                      } catch (RuntimeException e) {
                        LOG.warn(
                            k + ": the last applied spec no longer renders: " + e.getMessage());
                        return null;
                      }
                    })
                .orElse(null));
  }

  static String name(IstioOperator iop) {
    return iop.getMetadata().getName() + SUFFIX;
  }

  /** Records {@code iop}'s spec as the one in force, when it differs from the recorded one. */
  void record(KubernetesClient client, IstioOperator iop) {
    String key = iop.getMetadata().getNamespace() + "/" + iop.getMetadata().getName();
    String spec = JSON.asJson(iop.getSpec());
    if (spec.equals(recorded.get(key))) {
      return;
    }
    try {
      var resource =
          client.configMaps().inNamespace(iop.getMetadata().getNamespace()).withName(name(iop));
      ConfigMap live = resource.get();
      if (live == null || live.getData() == null || !spec.equals(live.getData().get(SPEC_KEY))) {
        ConfigMap cm =
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name(iop))
                .withNamespace(iop.getMetadata().getNamespace())
                .addToLabels("app.kubernetes.io/managed-by", "isthmus")
                .addToOwnerReferences(
                    new OwnerReferenceBuilder()
                        .withApiVersion(iop.getApiVersion())
                        .withKind(iop.getKind())
                        .withName(iop.getMetadata().getName())
                        .withUid(iop.getMetadata().getUid())
                        .build())
                .endMetadata()
                .addToData(SPEC_KEY, spec)
                .addToData(GENERATION_KEY, String.valueOf(iop.getMetadata().getGeneration()))
                .build();
        client.resource(cm).fieldManager("isthmus-operator").forceConflicts().serverSideApply();
      }
      recorded.put(key, spec);
    } catch (KubernetesClientException e) {
      // the install succeeded; only recovery after a restart depends on this record
      LOG.warn(key + ": cannot record the applied spec: " + e.getMessage());
    }
  }

  /**
   * The IstioOperator as it was last applied: {@code iop} with the recorded spec, or empty when no
   * install of it ever succeeded.
   */
  Optional<IstioOperator> load(KubernetesClient client, IstioOperator iop) {
    try {
      ConfigMap cm =
          client
              .configMaps()
              .inNamespace(iop.getMetadata().getNamespace())
              .withName(name(iop))
              .get();
      if (cm == null || cm.getData() == null || cm.getData().get(SPEC_KEY) == null) {
        return Optional.empty();
      }
      IstioOperator copy = JSON.clone(iop);
      copy.setSpec(JSON.unmarshal(cm.getData().get(SPEC_KEY), IstioOperatorSpec.class));
      return Optional.of(copy);
    } catch (RuntimeException e) {
      LOG.warn(
          iop.getMetadata().getNamespace()
              + "/"
              + iop.getMetadata().getName()
              + ": cannot read the last applied spec: "
              + e.getMessage());
      return Optional.empty();
    }
  }
}
