package dev.isthmus.controlplane.gateway.kube;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GatewayApiCrds} is what the cluster serves of the Gateway API: which of the kinds Isthmus
 * implements have their CRD installed with {@code v1} served, and the bundle version the CRDs
 * carry. Isthmus, like Istio, does not install them; {@link #warnings()} says plainly what is
 * missing or older than {@value GatewayDeploymentController#SUPPORTED_BUNDLE}, rather than dropping
 * a kind silently.
 *
 * @param served plural name to whether {@code v1} is served (absent: CRD not installed)
 * @param bundleVersions the {@code gateway.networking.k8s.io/bundle-version} of each CRD found
 */
public record GatewayApiCrds(Map<String, Boolean> served, Map<String, String> bundleVersions) {
  /** The kinds Isthmus implements, by plural. */
  public static final List<String> KINDS =
      List.of(
          "gatewayclasses",
          "gateways",
          "httproutes",
          "grpcroutes",
          "tcproutes",
          "tlsroutes",
          "referencegrants");

  /** Reads the CRDs; an API server that refuses to list CRDs counts as having none. */
  public static GatewayApiCrds read(KubernetesClient client) {
    Map<String, Boolean> served = new TreeMap<>();
    Map<String, String> versions = new TreeMap<>();
    for (String plural : KINDS) {
      CustomResourceDefinition crd = crd(client, plural);
      if (crd == null) {
        continue;
      }
      served.put(plural, servesV1(crd));
      Map<String, String> a = crd.getMetadata().getAnnotations();
      versions.put(
          plural, a == null ? "" : a.getOrDefault("gateway.networking.k8s.io/bundle-version", ""));
    }
    return new GatewayApiCrds(served, versions);
  }

  /** Whether the CRD of {@code plural} (any Gateway API kind) is installed and serves v1. */
  static boolean servedV1(KubernetesClient client, String plural) {
    CustomResourceDefinition crd = crd(client, plural);
    return crd != null && servesV1(crd);
  }

  private static CustomResourceDefinition crd(KubernetesClient client, String plural) {
    try {
      return client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(plural + "." + GatewayDeploymentController.GROUP)
          .get();
    } catch (KubernetesClientException e) {
      return null;
    }
  }

  private static boolean servesV1(CustomResourceDefinition crd) {
    return crd.getSpec().getVersions().stream()
        .anyMatch(v -> v.getName().equals("v1") && Boolean.TRUE.equals(v.getServed()));
  }

  /** Whether the kind's CRD is installed and serves {@code v1}. */
  public boolean served(String plural) {
    return Boolean.TRUE.equals(served.get(plural));
  }

  /** What an operator should be told, empty when the supported bundle is installed. */
  public List<String> warnings() {
    List<String> out = new ArrayList<>();
    if (served.isEmpty()) {
      out.add(
          "Gateway API CRDs are not installed: Gateways and routes are not served (install the"
              + " standard channel of "
              + GatewayDeploymentController.SUPPORTED_BUNDLE
              + ")");
      return out;
    }
    List<String> missing = new ArrayList<>();
    for (String k : KINDS) {
      if (!served(k)) {
        missing.add(k);
      }
    }
    if (!missing.isEmpty()) {
      out.add(
          "Gateway API CRDs without a served v1: "
              + String.join(", ", missing)
              + " are not served until the CRDs of "
              + GatewayDeploymentController.SUPPORTED_BUNDLE
              + " are installed");
    }
    bundleVersions.forEach(
        (k, v) -> {
          if (!v.isEmpty() && older(v, GatewayDeploymentController.SUPPORTED_BUNDLE)) {
            out.add(
                "Gateway API CRD "
                    + k
                    + " is from "
                    + v
                    + ", older than the supported "
                    + GatewayDeploymentController.SUPPORTED_BUNDLE);
          }
        });
    return out;
  }

  /** Whether semantic version {@code a} ({@code vX.Y.Z}) is older than {@code b}. */
  static boolean older(String a, String b) {
    int[] x = parts(a);
    int[] y = parts(b);
    for (int i = 0; i < 3; i++) {
      if (x[i] != y[i]) {
        return x[i] < y[i];
      }
    }
    return false;
  }

  private static int[] parts(String v) {
    String[] p = v.replaceFirst("^v", "").split("[.-]");
    int[] out = new int[3];
    for (int i = 0; i < 3 && i < p.length; i++) {
      try {
        out[i] = Integer.parseInt(p[i]);
      } catch (NumberFormatException e) {
        out[i] = 0;
      }
    }
    return out;
  }
}
