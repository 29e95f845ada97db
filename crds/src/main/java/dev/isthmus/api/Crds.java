package dev.isthmus.api;

import dev.isthmus.api.v1alpha1.IstioOperator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code Crds} lists the custom resource types Isthmus owns and loads their generated
 * CustomResourceDefinitions, which are checked in under {@code crds/manifests/} and packaged as
 * {@code crds/<name>.yaml} resources.
 */
public final class Crds {
  /**
   * The Istio configuration kinds installed by the Base component, at every API version Istio
   * serves.
   */
  public static final List<Class<? extends HasMetadata>> ISTIO_CONFIG =
      List.of(
          io.fabric8.istio.api.networking.v1.VirtualService.class,
          io.fabric8.istio.api.networking.v1beta1.VirtualService.class,
          io.fabric8.istio.api.networking.v1alpha3.VirtualService.class,
          io.fabric8.istio.api.networking.v1.DestinationRule.class,
          io.fabric8.istio.api.networking.v1beta1.DestinationRule.class,
          io.fabric8.istio.api.networking.v1alpha3.DestinationRule.class,
          io.fabric8.istio.api.networking.v1.Gateway.class,
          io.fabric8.istio.api.networking.v1beta1.Gateway.class,
          io.fabric8.istio.api.networking.v1alpha3.Gateway.class,
          io.fabric8.istio.api.networking.v1.ServiceEntry.class,
          io.fabric8.istio.api.networking.v1beta1.ServiceEntry.class,
          io.fabric8.istio.api.networking.v1alpha3.ServiceEntry.class,
          io.fabric8.istio.api.networking.v1.Sidecar.class,
          io.fabric8.istio.api.networking.v1beta1.Sidecar.class,
          io.fabric8.istio.api.networking.v1alpha3.Sidecar.class,
          io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter.class,
          io.fabric8.istio.api.networking.v1.WorkloadEntry.class,
          io.fabric8.istio.api.networking.v1beta1.WorkloadEntry.class,
          io.fabric8.istio.api.networking.v1alpha3.WorkloadEntry.class,
          io.fabric8.istio.api.networking.v1.WorkloadGroup.class,
          io.fabric8.istio.api.networking.v1beta1.WorkloadGroup.class,
          io.fabric8.istio.api.networking.v1alpha3.WorkloadGroup.class,
          io.fabric8.istio.api.networking.v1beta1.ProxyConfig.class,
          io.fabric8.istio.api.security.v1.PeerAuthentication.class,
          io.fabric8.istio.api.security.v1beta1.PeerAuthentication.class,
          io.fabric8.istio.api.security.v1.AuthorizationPolicy.class,
          io.fabric8.istio.api.security.v1beta1.AuthorizationPolicy.class,
          io.fabric8.istio.api.security.v1.RequestAuthentication.class,
          io.fabric8.istio.api.security.v1beta1.RequestAuthentication.class,
          io.fabric8.istio.api.telemetry.v1.Telemetry.class,
          io.fabric8.istio.api.telemetry.v1alpha1.Telemetry.class,
          io.fabric8.istio.api.extensions.v1alpha1.WasmPlugin.class);

  /**
   * Istio keeps storing the oldest API version of each group; newer versions are served and
   * converted for free.
   */
  public static final List<String> STORAGE_VERSIONS = List.of("v1alpha3", "v1beta1", "v1alpha1");

  /** Operator resources: the IstioOperator type. */
  public static final List<Class<? extends HasMetadata>> OPERATOR = List.of(IstioOperator.class);

  /** File names (without directory) of the checked-in CRDs, in install order. */
  public static final List<String> FILES =
      List.of(
          "istiooperators.install.istio.io-v1.yml",
          "virtualservices.networking.istio.io-v1.yml",
          "destinationrules.networking.istio.io-v1.yml",
          "gateways.networking.istio.io-v1.yml",
          "serviceentries.networking.istio.io-v1.yml",
          "sidecars.networking.istio.io-v1.yml",
          "envoyfilters.networking.istio.io-v1.yml",
          "workloadentries.networking.istio.io-v1.yml",
          "workloadgroups.networking.istio.io-v1.yml",
          "proxyconfigs.networking.istio.io-v1.yml",
          "peerauthentications.security.istio.io-v1.yml",
          "authorizationpolicies.security.istio.io-v1.yml",
          "requestauthentications.security.istio.io-v1.yml",
          "telemetries.telemetry.istio.io-v1.yml",
          "wasmplugins.extensions.istio.io-v1.yml");

  private Crds() {}

  /** The IstioOperator CRD. */
  public static CustomResourceDefinition istioOperator() {
    return load(FILES.get(0));
  }

  /** The Istio configuration CRDs the Base component installs. */
  public static List<CustomResourceDefinition> istioConfig() {
    List<CustomResourceDefinition> out = new ArrayList<>();
    for (String f : FILES.subList(1, FILES.size())) {
      out.add(load(f));
    }
    return out;
  }

  /** Every CRD, IstioOperator first. */
  public static List<CustomResourceDefinition> all() {
    List<CustomResourceDefinition> out = new ArrayList<>();
    out.add(istioOperator());
    out.addAll(istioConfig());
    return out;
  }

  /** True when the CRD reports the Established condition. */
  public static boolean established(CustomResourceDefinition crd) {
    // a CRD seen right after its creation may have a status without conditions yet
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /**
   * Server-side applies every CRD (conflicts forced) with {@code fieldManager}, then waits up to
   * {@code timeoutSeconds} for each to be Established.
   */
  public static void install(KubernetesClient client, String fieldManager, long timeoutSeconds) {
    for (CustomResourceDefinition crd : all()) {
      client.resource(crd).fieldManager(fieldManager).forceConflicts().serverSideApply();
    }
    for (CustomResourceDefinition crd : all()) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(crd.getMetadata().getName())
          .waitUntilCondition(Crds::established, timeoutSeconds, TimeUnit.SECONDS);
    }
  }

  private static CustomResourceDefinition load(String file) {
    try (InputStream in = Crds.class.getResourceAsStream("/crds/" + file)) {
      if (in == null) {
        throw new IllegalStateException("CRD resource missing from the classpath: crds/" + file);
      }
      return Serialization.unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
