package dev.isthmus.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.VersionInfo;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The pure checks of {@code x precheck}: Kubernetes version range and Gateway API CRDs. */
class PrecheckChecksTest {
  static VersionInfo version(String minor) {
    return new VersionInfo.Builder()
        .withMajor("1")
        .withMinor(minor)
        .withGitVersion("v1." + minor.replace("+", "") + ".2")
        .build();
  }

  static CustomResourceDefinition crd(String kind, String bundle, String... served) {
    var b =
        new CustomResourceDefinitionBuilder()
            .withNewMetadata()
            .withName(kind.toLowerCase() + "s.gateway.networking.k8s.io")
            .endMetadata()
            .withNewSpec()
            .withGroup("gateway.networking.k8s.io")
            .withNewNames()
            .withKind(kind)
            .endNames()
            .endSpec();
    if (bundle != null) {
      b.editMetadata()
          .addToAnnotations("gateway.networking.k8s.io/bundle-version", bundle)
          .endMetadata();
    }
    for (String v : served) {
      b.editSpec().addNewVersion().withName(v).withServed(true).endVersion().endSpec();
    }
    return b.build();
  }

  @Test
  void kubernetesVersionRange() {
    assertThat(PrecheckCommand.serverVersion(version("34"))).isEmpty();
    assertThat(PrecheckCommand.serverVersion(version("29+")))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.code()).isEqualTo("IST0142");
              assertThat(d.line())
                  .isEqualTo(
                      "Error [IST0142] (Cluster) The Kubernetes Version \"v1.29.2\" is lower than"
                          + " the minimum version: 1.30");
            });
    assertThat(PrecheckCommand.serverVersion(version("40")))
        .singleElement()
        .satisfies(d -> assertThat(d.level()).isEqualTo(Diagnostic.Level.Warning));
  }

  @Test
  void currentStandardBundlePasses() {
    List<CustomResourceDefinition> crds =
        Stream.of("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant")
            .map(k -> crd(k, "v1.4.0", "v1", "v1beta1"))
            .toList();
    assertThat(PrecheckCommand.gatewayApi(crds)).isEmpty();
  }

  @Test
  void oldOrPartialBundlesAreNamedByKind() {
    List<Diagnostic> ds =
        PrecheckCommand.gatewayApi(
            List.of(
                crd("Gateway", "v1.0.0", "v1"),
                crd("HTTPRoute", "v1.4.0", "v1beta1"),
                crd("TLSRoute", "v0.8.1", "v1alpha2")));
    assertThat(ds.stream().map(Diagnostic::line))
        .contains(
            "Error [IST0156] (CustomResourceDefinition gateways.gateway.networking.k8s.io) The"
                + " Gateway API CRD version v1.0.0 is lower than the minimum version: v1.1.0"
                + " (Gateway)",
            "Error [IST0156] (CustomResourceDefinition httproutes.gateway.networking.k8s.io) The"
                + " Gateway API CRD version v1beta1 is lower than the minimum version: v1",
            "Error [IST0156] (CustomResourceDefinition tlsroutes.gateway.networking.k8s.io) The"
                + " Gateway API CRD version v0.8.1 is lower than the minimum version: v1.1.0"
                + " (TLSRoute)",
            "Warning (Cluster) Gateway API CRDs are installed but these kinds are missing:"
                + " GatewayClass, GRPCRoute, ReferenceGrant");
  }

  @Test
  void noGatewayApiIsInformation() {
    assertThat(PrecheckCommand.gatewayApi(List.of()))
        .singleElement()
        .satisfies(d -> assertThat(d.level()).isEqualTo(Diagnostic.Level.Info));
  }

  @Test
  void versionsCompareNumerically() {
    assertThat(PrecheckCommand.compareVersions("v1.10.0", "v1.9.9")).isPositive();
    assertThat(PrecheckCommand.compareVersions("v1.1.0-rc1", "v1.1.0")).isZero();
    assertThat(PrecheckCommand.compareVersions("v0.8.1", "v1.1.0")).isNegative();
  }
}
