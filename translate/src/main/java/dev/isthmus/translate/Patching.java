package dev.isthmus.translate;

import java.util.List;
import java.util.function.Supplier;

/** {@code Patching} turns errors raised while applying k8s settings into validation errors. */
final class Patching {
  private Patching() {}

  static <T> T guard(Supplier<T> render) {
    try {
      return render.get();
    } catch (dev.isthmus.patch.PatchException e) {
      throw new ValidationException(List.of(e.getMessage()));
    }
  }
}
