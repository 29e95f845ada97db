package dev.isthmus.api.v1alpha1;

/**
 * {@code InstallStatus} is Istio's install state. Argo CD's built-in IstioOperator health check
 * reads these names from {@code status.status}.
 */
public enum InstallStatus {
  NONE,
  UPDATING,
  RECONCILING,
  HEALTHY,
  ERROR,
  ACTION_REQUIRED;

  /** Istio's aggregation: ERROR beats UPDATING beats RECONCILING beats HEALTHY beats NONE. */
  public static InstallStatus worst(InstallStatus a, InstallStatus b) {
    return rank(a) >= rank(b) ? a : b;
  }

  private static int rank(InstallStatus s) {
    return switch (s) {
      case NONE -> 0;
      case HEALTHY -> 1;
      case RECONCILING -> 2;
      case UPDATING -> 3;
      case ACTION_REQUIRED -> 4;
      case ERROR -> 5;
    };
  }
}
