package dev.isthmus.controlplane.model;

/**
 * {@code ConfigEntry} is one Istio configuration object reduced to what generation needs: its
 * identity and its typed spec.
 *
 * @param namespace namespace of the object
 * @param name name of the object
 * @param spec the typed spec (a fabric8 istio-model class)
 * @param <T> spec type
 */
public record ConfigEntry<T>(String namespace, String name, T spec) {

  /** {@code namespace/name}. */
  public String key() {
    return namespace + "/" + name;
  }
}
