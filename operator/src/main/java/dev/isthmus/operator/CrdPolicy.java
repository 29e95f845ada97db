package dev.isthmus.operator;

import java.util.Locale;

/**
 * {@code CrdPolicy} says who installs the CustomResourceDefinitions the Base component renders
 * (Istio's config kinds).
 */
public enum CrdPolicy {
  /** The operator applies them with server-side apply, like {@code istioctl install}. */
  APPLY,
  /**
   * Someone else installs them (OLM from the bundle, or an administrator): the operator never
   * writes a CRD, it only checks that each one is there and Established before it goes on, and
   * needs no right to create or patch CRDs.
   */
  EXTERNAL;

  /** The flag value: {@code apply} or {@code external}. */
  public String flag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a flag value.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static CrdPolicy parse(String value) {
    for (CrdPolicy p : values()) {
      if (p.flag().equals(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException("--crds: \"" + value + "\" is not one of apply, external");
  }
}
