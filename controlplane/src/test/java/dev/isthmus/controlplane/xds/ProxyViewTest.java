package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.model.MeshSnapshot;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A push builds resources once per {@link ProxyView}: proxies that differ only in what generation
 * does not read (address without a workload, pod name, node id) share one result, and that result
 * is what each would get on its own; proxies that differ in what it reads do not share.
 */
class ProxyViewTest {
  static final List<String> TYPES =
      List.of(
          Resources.V3.CLUSTER_TYPE_URL,
          Resources.V3.ENDPOINT_TYPE_URL,
          Resources.V3.LISTENER_TYPE_URL,
          Resources.V3.ROUTE_TYPE_URL);

  static final String SIDECAR_FOR_RATINGS =
      """
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: ratings-only, namespace: default}
      spec:
        workloadSelector: {labels: {app: ratings}}
        egress:
        - hosts: [./ratings.default.svc.cluster.local]
      """;

  final MeshSnapshot mesh = Fixtures.build(SimulationMesh.with(SIDECAR_FOR_RATINGS));

  static ProxyNode claiming(String ip, String pod, Map<String, String> labels) {
    var node =
        io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
            .setId("sidecar~" + ip + "~" + pod + ".default~default.svc.cluster.local");
    com.google.protobuf.Struct.Builder l = com.google.protobuf.Struct.newBuilder();
    labels.forEach(
        (k, v) -> l.putFields(k, com.google.protobuf.Value.newBuilder().setStringValue(v).build()));
    node.getMetadataBuilder()
        .putFields("LABELS", com.google.protobuf.Value.newBuilder().setStructValue(l).build());
    return ProxyNode.parse(node.build());
  }

  static Map<String, Map<String, String>> versions(ProxyResources r) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (String t : TYPES) {
      Map<String, String> v = new TreeMap<>();
      r.resources(t).forEach((name, res) -> v.put(name, res.version()));
      out.put(t, v);
    }
    return out;
  }

  @Test
  void proxiesThatDifferOnlyInAddressPodAndIdShareOneResultEqualToTheirOwn() {
    ProxyNode a = claiming("10.9.0.1", "client-a", Map.of("app", "client"));
    ProxyNode b = claiming("10.9.0.2", "client-b", Map.of("app", "client"));
    PushContext ctx = new PushContext(mesh);

    ProxyResources ra = ResourceGenerator.generate(ctx, a);
    ProxyResources rb = ResourceGenerator.generate(ctx, b);

    assertThat(rb).isSameAs(ra);
    assertThat(versions(rb)).isEqualTo(versions(ResourceGenerator.generate(mesh, b)));
    assertThat(ra.resources(Resources.V3.CLUSTER_TYPE_URL)).isNotEmpty();
  }

  @Test
  void labelsASidecarSelectsOnGiveAnotherResult() {
    ProxyNode client = claiming("10.9.0.1", "client", Map.of("app", "client"));
    ProxyNode ratings = claiming("10.9.0.3", "ratings-x", Map.of("app", "ratings"));
    PushContext ctx = new PushContext(mesh);

    ProxyResources rc = ResourceGenerator.generate(ctx, client);
    ProxyResources rr = ResourceGenerator.generate(ctx, ratings);

    assertThat(rr).isNotSameAs(rc);
    assertThat(rr.resources(Resources.V3.CLUSTER_TYPE_URL).keySet())
        .hasSizeLessThan(rc.resources(Resources.V3.CLUSTER_TYPE_URL).size());
    assertThat(versions(rr)).isEqualTo(versions(ResourceGenerator.generate(mesh, ratings)));
  }

  @Test
  void aKnownWorkloadIsSeenByItsPodsLabelsNotTheLabelsTheProxyClaims() {
    // 10.1.0.1 is the reviews-v1 pod: whatever the proxy claims, it gets the pod's view
    ProxyNode honest = claiming("10.1.0.1", "reviews-v1", Map.of("app", "reviews"));
    ProxyNode claimsRatings = claiming("10.1.0.1", "reviews-v1", Map.of("app", "ratings"));

    assertThat(ProxyView.of(mesh, claimsRatings)).isEqualTo(ProxyView.of(mesh, honest));
    assertThat(ProxyView.of(mesh, honest).labels()).containsEntry("version", "v1");
  }

  @Test
  void anEndpointUpdateIsBuiltOnceForProxiesThatSharedTheirResources() {
    ProxyNode a = claiming("10.9.0.1", "client-a", Map.of("app", "client"));
    ProxyNode b = claiming("10.9.0.2", "client-b", Map.of("app", "client"));
    PushContext first = new PushContext(mesh);
    ProxyResources before = ResourceGenerator.generate(first, a);
    PushContext next = first.next(mesh, true, true, Set.of());

    ProxyResources ua = ResourceGenerator.regenerateEndpoints(next, a, before, null);
    ProxyResources ub = ResourceGenerator.regenerateEndpoints(next, b, before, null);
    ProxyResources other =
        ResourceGenerator.regenerateEndpoints(next, b, ResourceGenerator.generate(mesh, b), null);

    assertThat(ub).isSameAs(ua);
    assertThat(other).isNotSameAs(ua);
    Map<String, VersionedResource<?>> eds = ua.resources(Resources.V3.ENDPOINT_TYPE_URL);
    assertThat(eds).isNotEmpty();
    assertThat(versions(other)).isEqualTo(versions(ua));
  }
}
