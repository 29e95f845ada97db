package dev.isthmus.operator;

import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.Optional;

/**
 * The labels Istio's installer puts on every object it owns; Isthmus reads them to prune, to map a
 * changed object back to its IstioOperator, and to uninstall.
 */
public final class OwnerLabels {
  public static final String OWNING_RESOURCE = "install.operator.istio.io/owning-resource";
  public static final String OWNING_RESOURCE_NAMESPACE =
      "install.operator.istio.io/owning-resource-namespace";
  public static final String COMPONENT = "operator.istio.io/component";
  public static final String MANAGED = "operator.istio.io/managed";
  public static final String MANAGED_VALUE = "Reconcile";
  public static final String REVISION = "istio.io/rev";

  /** Annotation that keeps an object out of pruning and uninstall: {@code "false"}. */
  public static final String PRUNE_ANNOTATION = "install.operator.istio.io/prune";

  /**
   * Annotation on an IstioOperator asking uninstall to delete the Istio CRDs too: {@code "true"}.
   */
  public static final String PURGE_CRDS_ANNOTATION = "install.operator.istio.io/purge-crds";

  public static final String FIELD_MANAGER = "isthmus-operator";
  public static final String FINALIZER = "install.istio.io/isthmus-finalizer";

  private OwnerLabels() {}

  /** Label selector matching every object the given IstioOperator owns. */
  public static Map<String, String> selector(IstioOperator iop) {
    return Map.of(
        OWNING_RESOURCE,
        iop.getMetadata().getName(),
        OWNING_RESOURCE_NAMESPACE,
        iop.getMetadata().getNamespace(),
        MANAGED,
        MANAGED_VALUE);
  }

  /** The owner (namespace, name) of a managed object, if it carries the labels. */
  public static Optional<Owner> owner(HasMetadata object) {
    Map<String, String> labels = object.getMetadata().getLabels();
    if (labels == null
        || labels.get(OWNING_RESOURCE) == null
        || labels.get(OWNING_RESOURCE_NAMESPACE) == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Owner(labels.get(OWNING_RESOURCE_NAMESPACE), labels.get(OWNING_RESOURCE)));
  }

  /** True when the object is annotated to be kept. */
  public static boolean keep(HasMetadata object) {
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    return annotations != null && "false".equalsIgnoreCase(annotations.get(PRUNE_ANNOTATION));
  }

  /** The namespace and name of an owning IstioOperator. */
  public record Owner(String namespace, String name) {
    /** True when this owner is the given IstioOperator. */
    public boolean is(IstioOperator iop) {
      return namespace.equals(iop.getMetadata().getNamespace())
          && name.equals(iop.getMetadata().getName());
    }
  }
}
