package dev.isthmus.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecurityPolicies;
import dev.isthmus.controlplane.model.ServicePort;
import dev.isthmus.controlplane.xds.proto.NameTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The DNS name table (NDS) Istio's agent asks for when it captures DNS, as istiod builds it: one
 * entry per visible host with its virtual IP, ready endpoints for headless Services, Kubernetes
 * names and namespaces for the short forms; only for proxies whose agent answers DNS.
 */
class NameTableGeneratorTest {
  static final List<ServicePort> HTTP =
      List.of(new ServicePort("http", 9080, 9080, ServicePort.Protocol.HTTP));

  static MeshService kube(String ns, String name, String vip, List<String> exportTo) {
    return new MeshService(
        name + "." + ns + ".svc.cluster.local",
        ns,
        name,
        vip,
        HTTP,
        Map.of("app", name),
        MeshService.Resolution.STATIC,
        MeshService.Origin.KUBERNETES,
        exportTo,
        List.of(),
        List.of());
  }

  static MeshService entry(String host, String vip) {
    return new MeshService(
        host,
        "egress",
        "ext",
        vip,
        HTTP,
        Map.of(),
        MeshService.Resolution.DNS,
        MeshService.Origin.SERVICE_ENTRY,
        List.of(),
        List.of(),
        List.of());
  }

  static MeshEndpoint ep(String host, String ip, MeshEndpoint.Health health) {
    return new MeshEndpoint(host, 9080, ip, 9080, Map.of(), "", 1, health, "");
  }

  static MeshSnapshot mesh(List<MeshService> services, Map<String, List<MeshEndpoint>> endpoints) {
    Map<String, MeshService> byHost = new LinkedHashMap<>();
    services.forEach(s -> byHost.put(s.hostname(), s));
    return new MeshSnapshot(
        byHost,
        endpoints,
        Map.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        Map.of(),
        "cluster.local",
        "istio-system",
        SecurityPolicies.NONE);
  }

  static final ProxyNode CAPTURING =
      ProxyNode.parse(
          Fixtures.node(
              "sidecar~10.1.0.9~sleep-1.app~app.svc.cluster.local", Map.of("DNS_CAPTURE", "true")));

  static NameTable table(MeshSnapshot mesh, ProxyNode proxy) {
    return new NameTableGenerator(new ConfigLookup(mesh)).generate(proxy);
  }

  @Test
  void servicesResolveToTheirVirtualIpWithKubernetesShortNames() {
    NameTable t =
        table(mesh(List.of(kube("shop", "reviews", "10.96.0.10", List.of())), Map.of()), CAPTURING);
    assertThat(t.getTableMap())
        .containsOnlyKeys("reviews.shop.svc.cluster.local")
        .extractingByKey("reviews.shop.svc.cluster.local")
        .isEqualTo(
            NameTable.NameInfo.newBuilder()
                .addIps("10.96.0.10")
                .setRegistry("Kubernetes")
                .setShortname("reviews")
                .setNamespace("shop")
                .build());
  }

  @Test
  void headlessServicesResolveToReadyEndpointsAndServiceEntriesToTheirAddress() {
    String headless = "db.shop.svc.cluster.local";
    MeshSnapshot m =
        mesh(
            List.of(
                kube("shop", "db", "", List.of()),
                entry("api.example.com", "240.0.0.1"),
                entry("cidr.example.com", "10.0.0.0/16"),
                entry("dns.example.com", "")),
            Map.of(
                headless,
                List.of(
                    ep(headless, "10.1.0.2", MeshEndpoint.Health.HEALTHY),
                    ep(headless, "10.1.0.1", MeshEndpoint.Health.HEALTHY),
                    ep(headless, "10.1.0.3", MeshEndpoint.Health.UNHEALTHY))));
    NameTable t = table(m, CAPTURING);
    assertThat(t.getTableMap()).containsOnlyKeys(headless, "api.example.com");
    assertThat(t.getTableMap().get(headless).getIpsList()).containsExactly("10.1.0.1", "10.1.0.2");
    assertThat(t.getTableMap().get("api.example.com"))
        .isEqualTo(
            NameTable.NameInfo.newBuilder().addIps("240.0.0.1").setRegistry("External").build());
  }

  @Test
  void onlyServicesVisibleToTheProxyAreListed() {
    MeshSnapshot m =
        mesh(
            List.of(
                kube("app", "mine", "10.96.0.1", List.of(".")),
                kube("other", "private", "10.96.0.2", List.of(".")),
                kube("other", "public", "10.96.0.3", List.of())),
            Map.of());
    assertThat(table(m, CAPTURING).getTableMap())
        .containsOnlyKeys("mine.app.svc.cluster.local", "public.other.svc.cluster.local");
  }

  @Test
  void onlyProxiesWhoseAgentAnswersDnsGetATable() {
    MeshSnapshot m = mesh(List.of(kube("shop", "reviews", "10.96.0.10", List.of())), Map.of());
    ProxyResources capturing = ResourceGenerator.generate(m, CAPTURING);
    assertThat(capturing.resources(NameTableGenerator.TYPE_URL)).containsOnlyKeys("");
    assertThat(
            ResourceGenerator.generate(m, Fixtures.sidecar("10.1.0.9", "sleep-1", "app"))
                .resources(NameTableGenerator.TYPE_URL))
        .isEmpty();
  }
}
