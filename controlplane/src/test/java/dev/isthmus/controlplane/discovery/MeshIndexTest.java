package dev.isthmus.controlplane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.model.Change;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.MeshSnapshot;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.DestinationRuleBuilder;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.GatewayBuilder;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.ServiceEntryBuilder;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.SidecarBuilder;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntryBuilder;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.AuthorizationPolicyBuilder;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.PeerAuthenticationBuilder;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
import io.fabric8.istio.api.security.v1.RequestAuthenticationBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property test of the incremental model: random sequences of add, update and delete events over a
 * small universe of names (so that objects collide: pods sharing addresses, ServiceEntries
 * declaring a Kubernetes host, invalid configs, nodes relabelled) give, after every event, the
 * snapshot a full rebuild of the same objects gives; and the change each event reports covers every
 * host, workload and config kind whose part of the snapshot changed.
 */
class MeshIndexTest {
  static final String DOMAIN = "cluster.local";
  static final List<String> NS = List.of("a", "b");
  static final List<String> SVC = List.of("s0", "s1", "s2");
  static final List<String> PODS = List.of("p0", "p1", "p2", "p3");
  static final List<String> NODES = List.of("n0", "n1");
  static final List<String> IPS = List.of("10.0.0.1", "10.0.0.2", "10.0.0.3");
  static final List<String> HOSTS =
      List.of("ext0.example.com", "ext1.example.com", "s0.a.svc.cluster.local", "*.wild.com");

  Random rnd = new Random(0);

  static MeshIndexTest generator(long seed) {
    MeshIndexTest g = new MeshIndexTest();
    g.rnd = new Random(seed);
    return g;
  }

  <T> T pick(List<T> l) {
    return l.get(rnd.nextInt(l.size()));
  }

  Map<String, String> labels() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("app", pick(SVC));
    if (rnd.nextBoolean()) {
      m.put("version", pick(List.of("v1", "v2")));
    }
    return m;
  }

  Service service() {
    var b =
        new ServiceBuilder()
            .withNewMetadata()
            .withNamespace(pick(NS))
            .withName(pick(SVC))
            .endMetadata()
            .withNewSpec()
            .withType(rnd.nextInt(6) == 0 ? "ExternalName" : "ClusterIP")
            .withClusterIP("10.96.0." + rnd.nextInt(3))
            .addToSelector("app", pick(SVC));
    b.addNewPort().withName("http").withPort(80 + rnd.nextInt(2)).endPort();
    if (rnd.nextBoolean()) {
      b.addNewPort().withName("grpc").withPort(9000).withAppProtocol("grpc").endPort();
    }
    return b.endSpec().build();
  }

  EndpointSlice slice() {
    String ns = pick(NS);
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName("sl" + rnd.nextInt(4))
            .addToLabels("kubernetes.io/service-name", pick(SVC))
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName(pick(List.of("http", "grpc")))
            .withPort(8080)
            .endPort();
    int n = rnd.nextInt(4);
    for (int i = 0; i < n; i++) {
      b.addNewEndpoint()
          .withAddresses(pick(IPS))
          .withNewConditions()
          .withReady(rnd.nextInt(4) != 0)
          .withTerminating(rnd.nextInt(4) == 0)
          .endConditions()
          .withNodeName(pick(NODES))
          .withNewTargetRef()
          .withKind("Pod")
          .withNamespace(ns)
          .withName(pick(PODS))
          .endTargetRef()
          .endEndpoint();
    }
    return b.build();
  }

  Pod pod() {
    var b =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(pick(NS))
            .withName(pick(PODS))
            .withLabels(labels())
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(pick(List.of("sa1", "sa2")))
            .endSpec();
    if (rnd.nextInt(5) != 0) {
      b.withNewStatus().withPodIP(pick(IPS)).withPhase(pick(List.of("Running", "x"))).endStatus();
    }
    return b.build();
  }

  Node node() {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(pick(NODES))
        .addToLabels("topology.kubernetes.io/region", pick(List.of("r1", "r2")))
        .addToLabels("topology.kubernetes.io/zone", pick(List.of("z1", "z2")))
        .addToLabels("heartbeat", String.valueOf(rnd.nextInt(1000)))
        .endMetadata()
        .build();
  }

  ServiceEntry serviceEntry() {
    var spec =
        new ServiceEntryBuilder()
            .withNewMetadata()
            .withNamespace(pick(NS))
            .withName("se" + rnd.nextInt(3))
            .endMetadata()
            .withNewSpec()
            .withResolution(
                pick(
                    List.of(
                        ServiceEntryResolution.STATIC,
                        ServiceEntryResolution.DNS,
                        ServiceEntryResolution.NONE)))
            .addNewPort()
            .withName("http")
            .withNumber(80L)
            .withProtocol("HTTP")
            .endPort();
    int hosts = rnd.nextInt(3);
    Set<String> hs = new HashSet<>();
    for (int i = 0; i < hosts; i++) {
      hs.add(pick(HOSTS));
    }
    spec.withHosts(new ArrayList<>(hs));
    if (rnd.nextBoolean()) {
      spec.withNewWorkloadSelector().withLabels(Map.of("app", pick(SVC))).endWorkloadSelector();
    } else if (rnd.nextBoolean()) {
      spec.addNewEndpoint().withAddress(pick(IPS)).withLabels(labels()).endEndpoint();
    }
    return spec.endSpec().build();
  }

  WorkloadEntry workloadEntry() {
    return new WorkloadEntryBuilder()
        .withNewMetadata()
        .withNamespace(pick(NS))
        .withName("we" + rnd.nextInt(3))
        .endMetadata()
        .withNewSpec()
        .withAddress(pick(IPS))
        .withLabels(labels())
        .withWeight((long) (1 + rnd.nextInt(2)))
        .endSpec()
        .build();
  }

  String created() {
    return "2026-01-0" + (1 + rnd.nextInt(3)) + "T00:00:00Z";
  }

  VirtualService virtualService() {
    var b =
        new VirtualServiceBuilder()
            .withNewMetadata()
            .withNamespace(pick(NS))
            .withName("vs" + rnd.nextInt(3))
            .withCreationTimestamp(created())
            .endMetadata()
            .withNewSpec()
            .withHosts(pick(List.of("s0", "s1.b", "ext0.example.com")))
            .addNewHttp()
            .addNewRoute()
            .withNewDestination()
            .withHost(pick(SVC))
            .endDestination()
            .withWeight(rnd.nextInt(3) == 0 ? -1 : 100)
            .endRoute()
            .endHttp()
            .endSpec();
    return b.build();
  }

  DestinationRule destinationRule() {
    return new DestinationRuleBuilder()
        .withNewMetadata()
        .withNamespace(pick(NS))
        .withName("dr" + rnd.nextInt(3))
        .withCreationTimestamp(created())
        .endMetadata()
        .withNewSpec()
        .withHost(pick(List.of("s0", "s2.a.svc.cluster.local", "*.wild.com")))
        .addNewSubset()
        .withName(pick(List.of("v1", "v2", "")))
        .withLabels(Map.of("version", "v1"))
        .endSubset()
        .endSpec()
        .build();
  }

  Gateway gateway() {
    return new GatewayBuilder()
        .withNewMetadata()
        .withNamespace(pick(NS))
        .withName("gw" + rnd.nextInt(2))
        .withCreationTimestamp(created())
        .endMetadata()
        .withNewSpec()
        .withSelector(Map.of("istio", pick(List.of("ingress", "egress"))))
        .endSpec()
        .build();
  }

  Sidecar sidecar() {
    return new SidecarBuilder()
        .withNewMetadata()
        .withNamespace(pick(List.of("a", "b", "istio-system")))
        .withName("default")
        .withCreationTimestamp(created())
        .endMetadata()
        .withNewSpec()
        .addNewEgress()
        .withHosts(pick(List.of("./*", "*/*")))
        .endEgress()
        .endSpec()
        .build();
  }

  PeerAuthentication peerAuthentication() {
    return new PeerAuthenticationBuilder()
        .withNewMetadata()
        .withNamespace(pick(NS))
        .withName("pa" + rnd.nextInt(2))
        .withCreationTimestamp(created())
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .build();
  }

  AuthorizationPolicy authorizationPolicy() {
    var b =
        new AuthorizationPolicyBuilder()
            .withNewMetadata()
            .withNamespace(pick(List.of("default", "istio-system")))
            .withName("ap" + rnd.nextInt(2))
            .withCreationTimestamp(created())
            .endMetadata();
    if (rnd.nextBoolean()) {
      b.editMetadata()
          .addToAnnotations("istio.io/dry-run", pick(List.of("true", "false")))
          .endMetadata();
    }
    return b.withNewSpec()
        .withNewSelector()
        .addToMatchLabels(rnd.nextBoolean() ? Map.of("app", "a") : Map.of())
        .endSelector()
        .addNewRule()
        .addNewTo()
        .withNewOperation()
        .withPaths(pick(List.of("/a", "/b*")))
        .endOperation()
        .endTo()
        .endRule()
        .endSpec()
        .build();
  }

  RequestAuthentication requestAuthentication() {
    return new RequestAuthenticationBuilder()
        .withNewMetadata()
        .withNamespace(pick(NS))
        .withName("ra" + rnd.nextInt(2))
        .withCreationTimestamp(created())
        .endMetadata()
        .withNewSpec()
        .addNewJwtRule()
        .withIssuer(pick(List.of("https://a", "https://b")))
        .endJwtRule()
        .endSpec()
        .build();
  }

  List<Function<MeshIndexTest, HasMetadata>> generators() {
    return List.of(
        MeshIndexTest::service,
        MeshIndexTest::slice,
        MeshIndexTest::slice,
        MeshIndexTest::pod,
        MeshIndexTest::pod,
        MeshIndexTest::node,
        MeshIndexTest::serviceEntry,
        MeshIndexTest::workloadEntry,
        MeshIndexTest::virtualService,
        MeshIndexTest::destinationRule,
        MeshIndexTest::gateway,
        MeshIndexTest::sidecar,
        MeshIndexTest::peerAuthentication,
        MeshIndexTest::authorizationPolicy,
        MeshIndexTest::requestAuthentication);
  }

  static String id(HasMetadata o) {
    return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  static ClusterState state(Map<String, HasMetadata> objects) {
    List<HasMetadata> all = new ArrayList<>(objects.values());
    return new ClusterState(
        of(all, Service.class),
        of(all, EndpointSlice.class),
        of(all, Pod.class),
        of(all, Node.class),
        of(all, ServiceEntry.class),
        of(all, WorkloadEntry.class),
        of(all, VirtualService.class),
        of(all, DestinationRule.class),
        of(all, Gateway.class),
        of(all, Sidecar.class),
        of(all, PeerAuthentication.class),
        of(all, AuthorizationPolicy.class),
        of(all, RequestAuthentication.class));
  }

  static <T> List<T> of(List<HasMetadata> all, Class<T> type) {
    // Informer caches have no order; the model must not depend on it.
    List<T> out = new ArrayList<>(all.stream().filter(type::isInstance).map(type::cast).toList());
    java.util.Collections.shuffle(out);
    return out;
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void eventSequencesGiveTheSnapshotOfAFullRebuild(long seed) {
    MeshIndexTest g = generator(seed);
    MeshModelBuilder builder = new MeshModelBuilder(DOMAIN, "istio-system", (k, r) -> {});
    MeshIndex index = new MeshIndex(builder);
    Map<String, HasMetadata> objects = new LinkedHashMap<>();
    MeshSnapshot before = index.snapshot();
    for (int step = 0; step < 250; step++) {
      Change change;
      String what;
      if (!objects.isEmpty() && g.rnd.nextInt(4) == 0) {
        HasMetadata gone = g.pick(new ArrayList<>(objects.values()));
        objects.remove(id(gone));
        change = index.delete(gone);
        what = "delete " + id(gone);
      } else {
        HasMetadata o = g.pick(g.generators()).apply(g);
        objects.put(id(o), o);
        change = index.upsert(o);
        what = "upsert " + id(o);
      }
      MeshSnapshot after = index.snapshot();

      assertThat(after).as("step %d: %s", step, what).isEqualTo(builder.build(state(objects)));
      assertCovers(change, before, after, "step " + step + ": " + what);
      before = after;
    }
  }

  /** The change names every host, workload and kind whose part of the snapshot changed. */
  static void assertCovers(Change c, MeshSnapshot before, MeshSnapshot after, String what) {
    Set<String> hosts = new HashSet<>(before.endpoints().keySet());
    hosts.addAll(after.endpoints().keySet());
    for (String h : hosts) {
      if (!Objects.equals(before.endpoints().get(h), after.endpoints().get(h))) {
        assertThat(c).as(what + ": endpoints of " + h).isNotNull();
        assertThat(c.hosts()).as(what + ": endpoints of " + h).contains(h);
      }
    }
    Set<String> svcs = new HashSet<>(before.services().keySet());
    svcs.addAll(after.services().keySet());
    for (String h : svcs) {
      if (!Objects.equals(before.services().get(h), after.services().get(h))) {
        assertThat(c).as(what + ": service " + h).isNotNull();
        assertThat(c.configs())
            .as(what + ": service " + h)
            .anyMatch(k -> k.kind() == ConfigKey.Kind.SERVICE && k.name().equals(h));
      }
    }
    Set<String> ips = new HashSet<>(before.workloads().keySet());
    ips.addAll(after.workloads().keySet());
    for (String ip : ips) {
      if (!Objects.equals(before.workloads().get(ip), after.workloads().get(ip))) {
        assertThat(c).as(what + ": workload " + ip).isNotNull();
        assertThat(c.configs()).as(what + ": workload " + ip).contains(ConfigKey.workload(ip));
      }
    }
    kind(
        c, before.virtualServices(), after.virtualServices(), ConfigKey.Kind.VIRTUAL_SERVICE, what);
    kind(
        c,
        before.destinationRules(),
        after.destinationRules(),
        ConfigKey.Kind.DESTINATION_RULE,
        what);
    kind(c, before.gateways(), after.gateways(), ConfigKey.Kind.GATEWAY, what);
    kind(c, before.sidecars(), after.sidecars(), ConfigKey.Kind.SIDECAR, what);
    kind(
        c,
        before.peerAuthentications(),
        after.peerAuthentications(),
        ConfigKey.Kind.PEER_AUTHENTICATION,
        what);
    kind(
        c,
        before.policies().authorizationPolicies(),
        after.policies().authorizationPolicies(),
        ConfigKey.Kind.AUTHORIZATION_POLICY,
        what);
    kind(
        c,
        before.policies().requestAuthentications(),
        after.policies().requestAuthentications(),
        ConfigKey.Kind.REQUEST_AUTHENTICATION,
        what);
  }

  static void kind(Change c, List<?> before, List<?> after, ConfigKey.Kind kind, String what) {
    if (!before.equals(after)) {
      assertThat(c).as(what + ": " + kind).isNotNull();
      assertThat(c.kinds()).as(what).contains(kind);
    }
  }

  @org.junit.jupiter.api.Test
  void unchangedPartsAreSharedAndNoOpEventsCauseNoChange() {
    MeshIndexTest g = generator(42);
    MeshIndex index = new MeshIndex(new MeshModelBuilder(DOMAIN, "istio-system", (k, r) -> {}));
    for (int i = 0; i < 60; i++) {
      index.upsert(g.pick(g.generators()).apply(g));
    }
    MeshSnapshot before = index.snapshot();
    Node n =
        new NodeBuilder()
            .withNewMetadata()
            .withName("n9")
            .addToLabels("topology.kubernetes.io/zone", "z1")
            .endMetadata()
            .build();
    index.upsert(n);
    Node heartbeat =
        new NodeBuilder(n).editMetadata().addToLabels("beat", "1").endMetadata().build();

    assertThat(index.upsert(heartbeat)).as("node heartbeat").isNull();
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace("a")
            .withName("p9")
            .addToLabels("app", "s0")
            .endMetadata()
            .withNewStatus()
            .withPodIP("10.0.0.9")
            .withPhase("Pending")
            .endStatus()
            .build();
    assertThat(index.upsert(pod).configs()).containsExactly(ConfigKey.workload("10.0.0.9"));
    Pod running = new PodBuilder(pod).editStatus().withPhase("Running").endStatus().build();
    assertThat(index.upsert(running)).as("pod status update").isNull();
    Sidecar selecting =
        new SidecarBuilder()
            .withNewMetadata()
            .withNamespace("a")
            .withName("web")
            .endMetadata()
            .withNewSpec()
            .withNewWorkloadSelector()
            .withLabels(Map.of("app", "web"))
            .endWorkloadSelector()
            .endSpec()
            .build();
    assertThat(index.upsert(selecting).configs())
        .singleElement()
        .satisfies(k -> assertThat(k.selectors()).containsExactly(Map.of("app", "web")));
    VirtualService vs = g.virtualService();
    Change c = index.upsert(vs);
    MeshSnapshot after = index.snapshot();

    assertThat(c.kinds()).containsExactly(ConfigKey.Kind.VIRTUAL_SERVICE);
    assertThat(c.namespaces()).containsExactly(vs.getMetadata().getNamespace());
    assertThat(after.services()).isSameAs(before.services());
    assertThat(after.endpoints()).isSameAs(before.endpoints());
    assertThat(after.destinationRules()).isSameAs(before.destinationRules());
    assertThat(index.upsert(vs)).as("same object again").isNull();
    assertThat(index.snapshot().virtualServices()).isSameAs(after.virtualServices());
  }
}
