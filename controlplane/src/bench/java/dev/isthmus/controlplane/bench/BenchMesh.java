package dev.isthmus.controlplane.bench;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;

/**
 * {@code BenchMesh} builds the benchmark mesh: service {@code svc<i>} in namespace {@code
 * ns<i % 20>} with one HTTP port 8080 and an EndpointSlice of N ready endpoints over three zones.
 */
final class BenchMesh {
  static final int NAMESPACES = 20;

  private BenchMesh() {}

  static String ns(int i) {
    return "ns" + (i % NAMESPACES);
  }

  static Service service(int i) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace(ns(i))
        .withName("svc" + i)
        .withResourceVersion("1")
        .endMetadata()
        .withNewSpec()
        .withClusterIP("10.96." + (i / 250) + "." + (i % 250))
        .addNewPort()
        .withName("http")
        .withPort(8080)
        .endPort()
        .addToSelector("app", "svc" + i)
        .endSpec()
        .build();
  }

  static EndpointSlice slice(int i, int endpoints) {
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withNamespace(ns(i))
            .withName("svc" + i + "-x")
            .addToLabels("kubernetes.io/service-name", "svc" + i)
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("http")
            .withPort(8080)
            .endPort();
    for (int e = 0; e < endpoints; e++) {
      b.addNewEndpoint()
          .withAddresses("10." + (i / 250 + 1) + "." + (i % 250) + "." + (e + 1))
          .withNewConditions()
          .withReady(true)
          .endConditions()
          .withZone("zone-" + (e % 3))
          .endEndpoint();
    }
    return b.build();
  }

  /** A VirtualService on svc0 with the given route timeout. */
  static VirtualService timeout(String timeout) {
    String host = "svc0." + ns(0) + ".svc.cluster.local";
    return new VirtualServiceBuilder()
        .withNewMetadata()
        .withNamespace(ns(0))
        .withName("svc0")
        .withCreationTimestamp("2026-01-01T00:00:00Z")
        .endMetadata()
        .withNewSpec()
        .withHosts(host)
        .addNewHttp()
        .withTimeout(timeout)
        .addNewRoute()
        .withNewDestination()
        .withHost(host)
        .endDestination()
        .endRoute()
        .endHttp()
        .endSpec()
        .build();
  }

  /** Node of simulated sidecar {@code i}, spread over the service namespaces. */
  static Node sidecar(int i) {
    String ns = ns(i);
    return Node.newBuilder()
        .setId(
            "sidecar~10.200."
                + (i / 250)
                + "."
                + (i % 250 + 1)
                + "~client-"
                + i
                + "."
                + ns
                + "~"
                + ns
                + ".svc.cluster.local")
        .build();
  }
}
