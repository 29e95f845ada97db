package dev.isthmus.controlplane.webhooks.inject;

/**
 * {@code InjectorFeatures} are the control plane's process-level switches that change injection, as
 * istiod reads them from its environment: {@code ENABLE_NATIVE_SIDECARS} (the proxy becomes a
 * Kubernetes native sidecar, an init container with {@code restartPolicy: Always}; a pod's {@code
 * sidecar.istio.io/nativeSidecar} annotation still decides for itself) and {@code
 * COMPLIANCE_POLICY} (e.g. {@code fips-140-3}, passed to the proxy).
 *
 * @param nativeSidecars whether the templates see {@code .NativeSidecars = true}
 * @param compliancePolicy the compliance policy, empty for none
 */
public record InjectorFeatures(boolean nativeSidecars, String compliancePolicy) {
  /** Neither native sidecars nor a compliance policy. */
  public static final InjectorFeatures NONE = new InjectorFeatures(false, "");

  /**
   * From the process environment; native sidecars only with {@code ENABLE_NATIVE_SIDECARS=true}.
   */
  public static InjectorFeatures fromEnv() {
    String compliance = System.getenv("COMPLIANCE_POLICY");
    return new InjectorFeatures(
        "true".equalsIgnoreCase(System.getenv("ENABLE_NATIVE_SIDECARS")),
        compliance == null ? "" : compliance);
  }
}
