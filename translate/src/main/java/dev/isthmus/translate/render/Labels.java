package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code Labels} stamps the operator labels on every rendered object (and on pod templates): {@code
 * operator.istio.io/component}, {@code istio.io/rev}, {@code
 * install.operator.istio.io/owning-resource[-namespace]} and {@code operator.istio.io/managed}.
 */
public final class Labels {
  /** Component label key. */
  public static final String COMPONENT = "operator.istio.io/component";

  /** Revision label key. */
  public static final String REVISION = "istio.io/rev";

  /** Owner name label key. */
  public static final String OWNER = "install.operator.istio.io/owning-resource";

  /** Owner namespace label key. */
  public static final String OWNER_NAMESPACE =
      "install.operator.istio.io/owning-resource-namespace";

  /** Managed-by-operator label key. */
  public static final String MANAGED = "operator.istio.io/managed";

  private Labels() {}

  /** Adds the operator labels to {@code obj} in place. */
  public static void stamp(ObjectNode obj, String component, String rev, Owner owner) {
    apply(obj.with("metadata").with("labels"), component, rev, owner, true);
    JsonNode template = obj.path("spec").path("template");
    if (template.isObject()) {
      apply(((ObjectNode) template).with("metadata").with("labels"), component, rev, owner, false);
    }
  }

  private static void apply(
      ObjectNode labels, String component, String rev, Owner owner, boolean managed) {
    labels.put(COMPONENT, component);
    labels.put(REVISION, rev);
    labels.put(OWNER, owner.name());
    if (owner.namespace() != null && !owner.namespace().isEmpty()) {
      labels.put(OWNER_NAMESPACE, owner.namespace());
    }
    if (managed) {
      labels.put(MANAGED, "Reconcile");
    }
  }
}
