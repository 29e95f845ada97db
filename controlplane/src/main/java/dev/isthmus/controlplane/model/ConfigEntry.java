package dev.isthmus.controlplane.model;

/**
 * {@code ConfigEntry} is one Istio configuration object reduced to what generation needs: its
 * identity and its typed spec.
 *
 * @param namespace namespace of the object
 * @param name name of the object
 * @param spec the typed spec (a fabric8 istio-model class)
 * @param annotations the object's {@value #INTERNAL} annotations (a Gateway derived from the
 *     Gateway API names its Service so)
 * @param <T> spec type
 */
public record ConfigEntry<T>(
    String namespace, String name, T spec, java.util.Map<String, String> annotations) {

  /** Annotations kept from the object: only Istio's internal ones ({@value #INTERNAL}…). */
  public static final String INTERNAL = "internal.istio.io/";

  /**
   * The annotation of a Gateway derived from a Gateway API Gateway: the hostname(s) of the Service
   * whose workloads it applies to.
   */
  public static final String GATEWAY_SERVICE = INTERNAL + "gateway-service";

  public ConfigEntry {
    annotations = annotations == null ? java.util.Map.of() : java.util.Map.copyOf(annotations);
  }

  public ConfigEntry(String namespace, String name, T spec) {
    this(namespace, name, spec, java.util.Map.of());
  }

  /** An entry with the {@value #INTERNAL} annotations of the object's. */
  public static <T> ConfigEntry<T> of(
      io.fabric8.kubernetes.api.model.HasMetadata o, String namespace, T spec) {
    java.util.Map<String, String> kept = new java.util.TreeMap<>();
    if (o.getMetadata().getAnnotations() != null) {
      o.getMetadata()
          .getAnnotations()
          .forEach(
              (k, v) -> {
                if (k.startsWith(INTERNAL)) {
                  kept.put(k, v);
                }
              });
    }
    return new ConfigEntry<>(namespace, o.getMetadata().getName(), spec, kept);
  }

  /** {@code namespace/name}. */
  public String key() {
    return namespace + "/" + name;
  }
}
