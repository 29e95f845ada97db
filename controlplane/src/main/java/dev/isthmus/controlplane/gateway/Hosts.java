package dev.isthmus.controlplane.gateway;

/** Hostname matching with leading-wildcard semantics, as Istio's host names have. */
final class Hosts {
  private Hosts() {}

  static boolean wild(String h) {
    return h.startsWith("*");
  }

  /** Whether two hostnames overlap. */
  static boolean matches(String n, String o) {
    if (wild(n)) {
      if (wild(o)) {
        return n.length() < o.length()
            ? o.substring(1).endsWith(n.substring(1))
            : n.substring(1).endsWith(o.substring(1));
      }
      return o.endsWith(n.substring(1));
    }
    if (wild(o)) {
      return n.endsWith(o.substring(1));
    }
    return n.equals(o);
  }

  /** Whether every host {@code n} matches is matched by {@code o}. */
  static boolean subsetOf(String n, String o) {
    if (wild(n)) {
      return wild(o) && n.substring(1).endsWith(o.substring(1));
    }
    if (wild(o)) {
      return n.endsWith(o.substring(1));
    }
    return n.equals(o);
  }

  /** The more specific of two overlapping hostnames, or null when they do not overlap. */
  static String intersection(String a, String b) {
    if (!matches(a, b)) {
      return null;
    }
    return subsetOf(a, b) ? a : b;
  }
}
