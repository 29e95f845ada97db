package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code InstalledState} is what {@code isthmus install} leaves behind so that {@code upgrade},
 * {@code verify-install} and {@code uninstall} find the installation again, as istioctl's {@code
 * installed-state} IstioOperator does: a ConfigMap {@code installed-state} (or {@code
 * installed-state-<revision>}) in the installation's namespace holding the merged IstioOperator.
 * Every object of the installation carries owner labels naming that same {@code installed-state}
 * owner, which is how prune and uninstall find them.
 *
 * <p>The record is a ConfigMap rather than an IstioOperator so that an operator running in the same
 * cluster never reconciles (and takes over) an installation made from the command line.
 */
public final class InstalledState {
  /** Name of the default revision's record and owner; other revisions append {@code -<rev>}. */
  public static final String NAME = "installed-state";

  /** Label on the record: {@code "true"}. */
  public static final String LABEL = "install.isthmus.dev/installed-state";

  /** Label on the record: the revision, {@code default} for none. */
  public static final String REVISION_LABEL = "install.isthmus.dev/revision";

  /** The key holding the merged IstioOperator, as YAML. */
  public static final String SPEC_KEY = "installed-state.yaml";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private InstalledState() {}

  /** The record's (and owner's) name for a revision; null or empty means the default revision. */
  public static String name(String revision) {
    return revision == null || revision.isEmpty() ? NAME : NAME + "-" + revision;
  }

  /** {@code default} for no revision. */
  public static String revisionLabel(String revision) {
    return revision == null || revision.isEmpty() ? "default" : revision;
  }

  /**
   * The namespace an installation lives in: {@code spec.namespace}, else {@code
   * values.global.istioNamespace}, else {@code istio-system} (where its Base objects go).
   */
  public static String namespace(IstioOperator merged) {
    var spec = merged.getSpec();
    if (spec != null && spec.namespace != null && !spec.namespace.isEmpty()) {
      return spec.namespace;
    }
    var ns =
        spec == null || spec.values == null
            ? null
            : spec.values.path("global").path("istioNamespace");
    return ns != null && ns.isTextual() && !ns.asText().isEmpty() ? ns.asText() : "istio-system";
  }

  /** Writes (or replaces) the record of an installation; {@code merged} carries its owner name. */
  public static void save(KubernetesClient client, IstioOperator merged) {
    String revision = merged.getSpec() == null ? null : merged.getSpec().revision;
    IstioOperator copy = new IstioOperator();
    copy.setMetadata(
        new ObjectMetaBuilder()
            .withName(merged.getMetadata().getName())
            .withNamespace(merged.getMetadata().getNamespace())
            .build());
    copy.setSpec(merged.getSpec());
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(merged.getMetadata().getName())
            .withNamespace(merged.getMetadata().getNamespace())
            .addToLabels(LABEL, "true")
            .addToLabels(REVISION_LABEL, revisionLabel(revision))
            .addToLabels("app.kubernetes.io/managed-by", "isthmus")
            .endMetadata()
            .addToData(SPEC_KEY, JSON.asYaml(copy))
            .build();
    client.resource(cm).fieldManager(OwnerLabels.FIELD_MANAGER).forceConflicts().serverSideApply();
  }

  /** Every recorded installation, in any namespace, ordered by namespace and name. */
  public static List<IstioOperator> list(KubernetesClient client) {
    return client.configMaps().inAnyNamespace().withLabel(LABEL, "true").list().getItems().stream()
        .map(InstalledState::read)
        .flatMap(Optional::stream)
        .sorted(
            Comparator.comparing((IstioOperator i) -> i.getMetadata().getNamespace())
                .thenComparing(i -> i.getMetadata().getName()))
        .toList();
  }

  /** The recorded installation of a revision (null or empty: the default revision). */
  public static Optional<IstioOperator> find(KubernetesClient client, String revision) {
    return client
        .configMaps()
        .inAnyNamespace()
        .withLabel(LABEL, "true")
        .withLabel(REVISION_LABEL, revisionLabel(revision))
        .list()
        .getItems()
        .stream()
        .map(InstalledState::read)
        .flatMap(Optional::stream)
        .findFirst();
  }

  /** Deletes the record of an installation. */
  public static void delete(KubernetesClient client, IstioOperator owner) {
    client
        .configMaps()
        .inNamespace(owner.getMetadata().getNamespace())
        .withName(owner.getMetadata().getName())
        .delete();
  }

  private static Optional<IstioOperator> read(ConfigMap cm) {
    String yaml = cm.getData() == null ? null : cm.getData().get(SPEC_KEY);
    if (yaml == null) {
      return Optional.empty();
    }
    IstioOperator iop = JSON.unmarshal(yaml, IstioOperator.class);
    iop.getMetadata().setName(cm.getMetadata().getName());
    iop.getMetadata().setNamespace(cm.getMetadata().getNamespace());
    return Optional.of(iop);
  }
}
