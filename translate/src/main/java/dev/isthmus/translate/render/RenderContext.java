package dev.isthmus.translate.render;

import dev.isthmus.api.v1alpha1.IstioOperatorSpec;

/**
 * {@code RenderContext} is what every renderer reads: the merged spec (for component namespaces)
 * and the values tree (for everything else).
 *
 * @param spec the merged IstioOperator spec
 * @param values the translated values
 */
public record RenderContext(IstioOperatorSpec spec, Vals values) {
  /** The revision, or the empty string for the default revision. */
  public String revision() {
    return values.str("revision", "");
  }

  /** {@code -<revision>}, or empty for the default revision. */
  public String revSuffix() {
    return revision().isEmpty() ? "" : "-" + revision();
  }

  /** The {@code istio.io/rev} label value. */
  public String revLabel() {
    return revision().isEmpty() ? "default" : revision();
  }

  /** The namespace istiod runs in. */
  public String istioNamespace() {
    return values.str("global.istioNamespace", "istio-system");
  }

  /** The istiod Service and Deployment name. */
  public String istiodName() {
    return "istiod" + revSuffix();
  }

  /** Global hub. */
  public String hub() {
    return values.str("global.hub", "docker.io/istio");
  }

  /** Global tag. */
  public String tag() {
    return values.str("global.tag", "latest");
  }

  /** The cluster domain (trust domain default). */
  public String clusterDomain() {
    return values.str("global.proxy.clusterDomain", "cluster.local");
  }

  /** The address proxies use to reach istiod for xDS and certificates. */
  public String discoveryAddress() {
    return istiodName() + "." + istioNamespace() + ".svc:15012";
  }
}
