package dev.isthmus.translate.render;

import dev.isthmus.api.v1alpha1.ComponentSpec;
import dev.isthmus.api.v1alpha1.GatewayComponentSpec;
import dev.isthmus.api.v1alpha1.IstioComponentSpec;

/**
 * {@code Enablement} decides which components render. A component is on when its spec says {@code
 * enabled: true}, or — Istio's alternative enablement — when {@code values.<component>.enabled}
 * (for gateways {@code values.gateways.<name>.enabled}) is true.
 */
public final class Enablement {
  private Enablement() {}

  /** Whether Base renders. */
  public static boolean base(IstioComponentSpec c, Vals values) {
    return (c.base != null && Boolean.TRUE.equals(c.base.enabled))
        || values.bool("base.enabled", false);
  }

  /** Whether pilot, cni or ztunnel renders ({@code key} is its values key). */
  public static boolean component(ComponentSpec c, Vals values, String key) {
    if (c != null && Boolean.TRUE.equals(c.enabled)) {
      return true;
    }
    return values.bool(key + ".enabled", false);
  }

  /** Whether a gateway renders. */
  public static boolean gateway(GatewayComponentSpec gw, Vals values) {
    if (gw.name == null || gw.name.isEmpty()) {
      return false;
    }
    return Boolean.TRUE.equals(gw.enabled)
        || values.bool("gateways." + gw.name + ".enabled", false);
  }
}
