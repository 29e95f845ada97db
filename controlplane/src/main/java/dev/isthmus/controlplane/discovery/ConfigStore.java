package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.ConfigEntry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ConfigStore} holds the objects of one Istio config kind for {@link MeshIndex}: each
 * validated once when it arrives, the valid ones listed oldest first (Istio's merge order) and the
 * list rebuilt only after a change of this kind.
 *
 * @param <O> the custom resource class
 * @param <T> its spec class
 */
final class ConfigStore<O extends HasMetadata, T> {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

  private record Valid<T>(String created, ConfigEntry<T> entry) {}

  final String kind;
  private final Function<O, T> spec;
  private final Function<T, List<String>> validator;
  private final MeshModelBuilder rules;
  private final Map<String, O> objects = new HashMap<>();
  private final Map<String, Valid<T>> valid = new HashMap<>();
  private List<ConfigEntry<T>> list = List.of();
  private boolean dirty;

  ConfigStore(
      String kind,
      Function<O, T> spec,
      Function<T, List<String>> validator,
      MeshModelBuilder rules) {
    this.kind = kind;
    this.spec = spec;
    this.validator = validator;
    this.rules = rules;
  }

  /** Stores and validates an object; returns the one it replaces. */
  O put(String key, O o, Map<String, String> rejected) {
    O old = objects.put(key, o);
    if (old != null && same(old, o)) {
      return old;
    }
    dirty = true;
    valid.remove(key);
    rejected.remove(kind + " " + key);
    T sp = spec.apply(o);
    List<String> errors = sp == null ? List.of("spec: required") : validator.apply(sp);
    if (!errors.isEmpty()) {
      String reason = kind + " " + key + ": " + String.join("; ", errors);
      LOG.warn("skipping invalid {}", reason);
      rejected.put(kind + " " + key, String.join("; ", errors));
      rules.onRejected().accept(kind, reason);
    } else {
      valid.put(
          key,
          new Valid<>(
              Objects.requireNonNullElse(o.getMetadata().getCreationTimestamp(), ""),
              ConfigEntry.of(o, MeshModelBuilder.ns(o), sp)));
    }
    return old;
  }

  /** Removes an object; returns it, or null when unknown. */
  O remove(String key) {
    O old = objects.remove(key);
    if (old != null) {
      dirty = true;
      valid.remove(key);
    }
    return old;
  }

  /** Whether two versions of an object give the same entry. */
  boolean same(O a, O b) {
    return Objects.equals(spec.apply(a), spec.apply(b))
        && Objects.equals(
            a.getMetadata().getCreationTimestamp(), b.getMetadata().getCreationTimestamp());
  }

  /** Valid entries, oldest first, then by name, then by namespace (Istio's order). */
  List<ConfigEntry<T>> list() {
    if (dirty) {
      // List.copyOf, not Stream.toList: the snapshot's own List.copyOf then keeps this instance.
      list =
          List.copyOf(
              valid.values().stream()
                  .sorted(
                      Comparator.comparing((Valid<T> v) -> v.created())
                          .thenComparing(v -> v.entry().name())
                          .thenComparing(v -> v.entry().namespace()))
                  .map(Valid::entry)
                  .toList());
      dirty = false;
    }
    return list;
  }
}
