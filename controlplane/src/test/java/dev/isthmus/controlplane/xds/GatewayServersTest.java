package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.GatewayBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which Gateways bind to a gateway proxy: by selector, and for a Gateway derived from a Gateway API
 * Gateway (annotated with its Service) only in that Service's namespace.
 */
class GatewayServersTest {
  static Gateway gateway(String ns, String name, String service) {
    GatewayBuilder b =
        new GatewayBuilder()
            .withMetadata(Fixtures.meta(ns, name))
            .withNewSpec()
            .withSelector(Map.of("gateway.networking.k8s.io/gateway-name", "web"))
            .withServers(Fixtures.server(80, "http", "HTTP", null, "*"))
            .endSpec();
    if (service != null) {
      b.editMetadata()
          .addToAnnotations(GatewayServers.GATEWAY_SERVICE, service)
          .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}")
          .endMetadata();
    }
    return b.build();
  }

  static List<String> bound(String proxyNs, String proxyIp) {
    var state = Fixtures.reviews();
    List<io.fabric8.kubernetes.api.model.Pod> pods = new ArrayList<>(state.pods());
    pods.add(
        Fixtures.pod(
            proxyNs,
            "web-istio-1",
            proxyIp,
            Map.of("gateway.networking.k8s.io/gateway-name", "web")));
    var mesh =
        Fixtures.build(
            state
                .withPods(pods)
                .withGateways(
                    List.of(
                        gateway("app", "derived", "web-istio.app.svc.cluster.local"),
                        gateway("app", "plain", null))));
    ProxyNode proxy =
        Fixtures.sidecar(proxyIp, "web-istio-1", proxyNs).withType(ProxyNode.Type.ROUTER);
    return GatewayServers.forProxy(mesh, proxy).stream().map(GatewayServers.Bound::key).toList();
  }

  @Test
  void aDerivedGatewayBindsOnlyInItsServicesNamespace() {
    assertThat(bound("app", "10.1.0.60")).containsExactlyInAnyOrder("app/derived", "app/plain");
    // the same labels in another namespace: the plain Gateway's selector matches across
    // namespaces (Istio's default), the derived one is not that proxy's
    assertThat(bound("other", "10.1.0.61")).containsExactly("app/plain");
  }

  @Test
  void onlyIstiosInternalAnnotationsAreKept() {
    var mesh =
        Fixtures.build(
            Fixtures.reviews()
                .withGateways(
                    List.of(gateway("app", "derived", "web-istio.app.svc.cluster.local"))));
    assertThat(mesh.gateways().get(0).annotations())
        .containsExactly(
            Map.entry(GatewayServers.GATEWAY_SERVICE, "web-istio.app.svc.cluster.local"));
  }
}
