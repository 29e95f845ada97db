package dev.isthmus.controlplane.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.isthmus.controlplane.discovery.ClusterState;
import dev.isthmus.controlplane.discovery.MeshModelBuilder;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecurityPolicies;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestinationBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestinationBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.SubsetBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.DestinationRuleBuilder;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.GatewayBuilder;
import io.fabric8.istio.api.networking.v1.ServiceEntryBuilder;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.SidecarBuilder;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test inputs: Kubernetes objects with documentation addresses (10.x), never dialled. */
final class Fixtures {
  private Fixtures() {}

  static Service service(String ns, String name, String portName, int port, int targetPort) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withClusterIP("10.96.0.10")
        .addNewPort()
        .withName(portName)
        .withPort(port)
        .withNewTargetPort(targetPort)
        .endPort()
        .addToSelector("app", name)
        .endSpec()
        .build();
  }

  /** Endpoint conditions: ready, serving, terminating. */
  record Ep(
      String ip,
      String pod,
      boolean ready,
      boolean serving,
      boolean terminating,
      String zone,
      String node) {}

  static EndpointSlice slice(String ns, String service, String portName, int port, Ep... eps) {
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(service + "-abc")
            .addToLabels("kubernetes.io/service-name", service)
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName(portName)
            .withPort(port)
            .withProtocol("TCP")
            .endPort();
    for (Ep e : eps) {
      b.addNewEndpoint()
          .withAddresses(e.ip())
          .withNewConditions()
          .withReady(e.ready())
          .withServing(e.serving())
          .withTerminating(e.terminating())
          .endConditions()
          .withZone(e.zone())
          .withNodeName(e.node())
          .withNewTargetRef()
          .withKind("Pod")
          .withNamespace(ns)
          .withName(e.pod())
          .endTargetRef()
          .endEndpoint();
    }
    return b.build();
  }

  static io.fabric8.kubernetes.api.model.Pod pod(
      String ns, String name, String ip, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName("bookinfo-" + labels.getOrDefault("app", "x"))
        .endSpec()
        .withNewStatus()
        .withPodIP(ip)
        .endStatus()
        .build();
  }

  static io.fabric8.kubernetes.api.model.Node node(String name, String region, String zone) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("topology.kubernetes.io/region", region)
        .addToLabels("topology.kubernetes.io/zone", zone)
        .endMetadata()
        .build();
  }

  /**
   * The reviews service in {@code default}: v1 ready in zone a, v2 ready in zone b, v3 terminating,
   * v4 not ready.
   */
  static ClusterState reviews() {
    ClusterState s = ClusterState.empty();
    List<io.fabric8.kubernetes.api.model.Pod> pods = new ArrayList<>();
    pods.add(pod("default", "reviews-v1", "10.1.0.1", Map.of("app", "reviews", "version", "v1")));
    pods.add(pod("default", "reviews-v2", "10.1.0.2", Map.of("app", "reviews", "version", "v2")));
    pods.add(pod("default", "reviews-v3", "10.1.0.3", Map.of("app", "reviews", "version", "v3")));
    pods.add(pod("default", "reviews-v4", "10.1.0.4", Map.of("app", "reviews", "version", "v4")));
    pods.add(pod("default", "productpage", "10.1.0.9", Map.of("app", "productpage")));
    return new ClusterState(
        List.of(
            service("default", "reviews", "http", 9080, 9080),
            service("default", "productpage", "http", 9080, 9080)),
        List.of(
            slice(
                "default",
                "reviews",
                "http",
                9080,
                new Ep("10.1.0.1", "reviews-v1", true, true, false, "zone-a", "node-a"),
                new Ep("10.1.0.2", "reviews-v2", true, true, false, "zone-b", "node-b"),
                new Ep("10.1.0.3", "reviews-v3", false, true, true, "zone-a", "node-a"),
                new Ep("10.1.0.4", "reviews-v4", false, false, false, "zone-a", "node-a"))),
        pods,
        List.of(node("node-a", "eu-west", "zone-a"), node("node-b", "eu-west", "zone-b")),
        s.serviceEntries(),
        s.workloadEntries(),
        s.virtualServices(),
        s.destinationRules(),
        s.gateways(),
        s.sidecars(),
        s.peerAuthentications(),
        List.of(),
        List.of());
  }

  /**
   * The snapshot with its VirtualServices replaced as given (namespaces and creation order set by
   * the test), bypassing discovery's validation.
   */
  static MeshSnapshot withVirtualServices(
      MeshSnapshot m,
      List<
              dev.isthmus.controlplane.model.ConfigEntry<
                  io.fabric8.istio.api.api.networking.v1alpha3.VirtualService>>
          vs) {
    return new MeshSnapshot(
        m.services(),
        m.endpoints(),
        m.workloads(),
        vs,
        m.destinationRules(),
        m.gateways(),
        m.sidecars(),
        m.peerAuthentications(),
        m.rejected(),
        m.clusterDomain(),
        m.rootNamespace(),
        SecurityPolicies.NONE);
  }

  static MeshSnapshot build(ClusterState s) {
    return new MeshModelBuilder("cluster.local", "istio-system", (k, r) -> {}).build(s);
  }

  static Node node(String id, Map<String, String> metadata) {
    Struct.Builder md = Struct.newBuilder();
    metadata.forEach((k, v) -> md.putFields(k, Value.newBuilder().setStringValue(v).build()));
    return Node.newBuilder().setId(id).setMetadata(md).build();
  }

  static ProxyNode sidecar(String ip, String pod, String ns) {
    return ProxyNode.parse(
        node("sidecar~" + ip + "~" + pod + "." + ns + "~" + ns + ".svc.cluster.local", Map.of()));
  }

  static ProxyNode proxyless(String ns) {
    return ProxyNode.parse(
        node(
            "sidecar~10.1.0.99~client." + ns + "~" + ns + ".svc.cluster.local",
            Map.of("GENERATOR", "grpc")));
  }

  /** Metadata of the namespaced object {@code ns/name}. */
  static ObjectMeta meta(String ns, String name) {
    return new ObjectMetaBuilder().withNamespace(ns).withName(name).build();
  }

  /** An HTTP route destination: {@code host} and {@code subset} (null: the whole service). */
  static HTTPRouteDestination to(String host, String subset) {
    return new HTTPRouteDestinationBuilder()
        .withNewDestination()
        .withHost(host)
        .withSubset(subset)
        .endDestination()
        .build();
  }

  /** {@link #to(String, String)} taking {@code weight} percent of the traffic. */
  static HTTPRouteDestination to(String host, String subset, int weight) {
    HTTPRouteDestination d = to(host, subset);
    d.setWeight(weight);
    return d;
  }

  /** A TCP or TLS route destination: {@code host} and {@code subset} (null: the whole service). */
  static RouteDestination tcpTo(String host, String subset) {
    return new RouteDestinationBuilder().withDestination(to(host, subset).getDestination()).build();
  }

  /** The VirtualService {@code default/<name>} for {@code hosts}, to which a test adds routes. */
  static VirtualServiceBuilder virtualService(String name, String... hosts) {
    return new VirtualServiceBuilder()
        .withMetadata(meta("default", name))
        .withNewSpec()
        .withHosts(hosts)
        .endSpec();
  }

  /** The Gateway {@code istio-system/gw} on the ingress gateway pods, with these servers. */
  static Gateway ingressGateway(Server... servers) {
    return new GatewayBuilder()
        .withMetadata(meta("istio-system", "gw"))
        .withNewSpec()
        .withSelector(Map.of("istio", "ingressgateway"))
        .withServers(servers)
        .endSpec()
        .build();
  }

  /** A Gateway server on {@code port} for {@code hosts}; a null {@code tls} sets none. */
  static Server server(
      long port, String name, String protocol, ServerTLSSettings tls, String... hosts) {
    return new ServerBuilder()
        .withNewPort()
        .withNumber(port)
        .withName(name)
        .withProtocol(protocol)
        .endPort()
        .withHosts(hosts)
        .withTls(tls)
        .build();
  }

  /** Gateway server TLS settings: {@code mode} with the certificate of {@code credentialName}. */
  static ServerTLSSettings tls(ServerTLSSettingsTLSmode mode, String credentialName) {
    return new ServerTLSSettingsBuilder().withMode(mode).withCredentialName(credentialName).build();
  }

  /** The ingress gateway pod ({@code istio=ingressgateway} at 10.1.0.50) added to {@code s}. */
  static ClusterState withIngressPod(ClusterState s) {
    List<io.fabric8.kubernetes.api.model.Pod> pods = new ArrayList<>(s.pods());
    pods.add(pod("istio-system", "ingress", "10.1.0.50", Map.of("istio", "ingressgateway")));
    return s.withPods(pods);
  }

  /** The router proxy of the ingress gateway pod of {@link #withIngressPod}. */
  static ProxyNode ingressRouter() {
    return sidecar("10.1.0.50", "ingress", "istio-system").withType(ProxyNode.Type.ROUTER);
  }

  /** The Sidecar {@code ns/default} whose egress reaches only its own namespace. */
  static Sidecar ownNamespaceOnly(String ns) {
    return new SidecarBuilder()
        .withMetadata(meta(ns, "default"))
        .withNewSpec()
        .addNewEgress()
        .withHosts("./*")
        .endEgress()
        .endSpec()
        .build();
  }

  /**
   * The DestinationRule {@code default/reviews} for host reviews with {@code policy} (may be null)
   * and {@code subsets}.
   */
  static DestinationRule reviewsRule(TrafficPolicy policy, Subset... subsets) {
    return new DestinationRuleBuilder()
        .withMetadata(meta("default", "reviews"))
        .withNewSpec()
        .withHost("reviews")
        .withTrafficPolicy(policy)
        .withSubsets(subsets)
        .endSpec()
        .build();
  }

  /** The subset {@code version} of the pods labelled {@code version=<version>}. */
  static Subset version(String version, TrafficPolicy policy) {
    return new SubsetBuilder()
        .withName(version)
        .withLabels(Map.of("version", version))
        .withTrafficPolicy(policy)
        .build();
  }

  /** The ServiceEntry {@code ext/api} for api.example.com:443 (TLS) with {@code resolution}. */
  static ServiceEntryBuilder apiServiceEntry(ServiceEntryResolution resolution) {
    return new ServiceEntryBuilder()
        .withMetadata(meta("ext", "api"))
        .withNewSpec()
        .withHosts("api.example.com")
        .addNewPort()
        .withName("https")
        .withNumber(443L)
        .withProtocol("TLS")
        .endPort()
        .withResolution(resolution)
        .endSpec();
  }
}
