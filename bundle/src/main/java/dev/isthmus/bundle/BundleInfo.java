package dev.isthmus.bundle;

import dev.isthmus.operator.OperatorManifests;
import java.util.List;

/**
 * {@code BundleInfo} holds the release facts of the OLM bundle: package, channels, version, the
 * version range it upgrades from, the operator image and the catalogue metadata (provider,
 * maintainers, links).
 *
 * @param packageName OLM package name
 * @param channels channels this bundle is published in
 * @param defaultChannel the channel OLM subscribes to by default
 * @param version the operator's semantic version (the CSV's {@code spec.version})
 * @param replaces name of the CSV this one replaces, or {@code null} for the first release
 * @param skipRange {@code olm.skipRange}: versions that upgrade straight to this one
 * @param operatorImage image of the operator Deployment
 * @param minKubeVersion oldest Kubernetes version the operator and its operands run on
 */
public record BundleInfo(
    String packageName,
    List<String> channels,
    String defaultChannel,
    String version,
    String replaces,
    String skipRange,
    String operatorImage,
    String minKubeVersion) {

  /** Name the CSV gets: {@code <package>.v<version>}. */
  public String csvName() {
    return packageName + ".v" + version;
  }

  /**
   * This release: 0.1.0, the first one, so it replaces nothing and skips every earlier pre-release.
   */
  public static BundleInfo current() {
    return new BundleInfo(
        "isthmus",
        List.of("candidate"),
        "candidate",
        "0.1.0",
        null,
        ">=0.0.0 <0.1.0",
        OperatorManifests.DEFAULT_IMAGE,
        // Istio 1.28, whose manifests Isthmus renders, supports Kubernetes 1.29 and later
        "1.29.0");
  }
}
