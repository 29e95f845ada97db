package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mesh the simulation cases run in, from the other tests' fixtures: bookinfo's reviews (v1 with
 * a sidecar in zone a, v2 without one in zone b, v3 terminating, v4 not ready) and productpage
 * ({@link AutoMtlsTest#withSidecarOnV1()} over {@link Fixtures#reviews()}), the TCP and TLS
 * services of {@link TcpTlsRouteTest} (mongo, secure), and an ingress gateway pod; plus Istio
 * configuration (and extra Kubernetes Services) given as YAML documents separated by {@code ---}.
 */
final class SimulationMesh {
  static final ProxyNode PRODUCTPAGE = ClusterEndpointGenerationTest.PRODUCTPAGE;

  /** productpage's sidecar with a locality (eu-west/zone-a), for locality load balancing. */
  static final ProxyNode PRODUCTPAGE_ZONE_A = DestinationRulePolicyTest.PRODUCTPAGE;

  static final ProxyNode REVIEWS_V1 = Fixtures.sidecar("10.1.0.1", "reviews-v1", "default");
  static final ProxyNode INGRESS =
      Fixtures.sidecar("10.1.0.50", "ingress", "istio-system").withType(ProxyNode.Type.ROUTER);

  private static final Pattern KIND = Pattern.compile("(?m)^kind:\\s*(\\w+)");

  private SimulationMesh() {}

  static ClusterState base() {
    ClusterState s = AutoMtlsTest.withSidecarOnV1();
    List<io.fabric8.kubernetes.api.model.Pod> pods = new ArrayList<>(s.pods());
    pods.add(
        Fixtures.pod("istio-system", "ingress", "10.1.0.50", Map.of("istio", "ingressgateway")));
    return s.withPods(pods).withServices(TcpTlsRouteTest.with(List.of()).services());
  }

  /** The base mesh with the configuration in {@code yaml} (null: none). */
  static ClusterState with(String yaml) {
    List<VirtualService> vss = new ArrayList<>();
    List<DestinationRule> drs = new ArrayList<>();
    List<Gateway> gws = new ArrayList<>();
    List<PeerAuthentication> pas = new ArrayList<>();
    List<ServiceEntry> ses = new ArrayList<>();
    List<Sidecar> scs = new ArrayList<>();
    ClusterState s = base();
    List<Service> services = new ArrayList<>(s.services());
    if (yaml != null) {
      for (String doc : yaml.split("(?m)^---\\s*$")) {
        if (doc.isBlank()) {
          continue;
        }
        Matcher m = KIND.matcher(doc);
        if (!m.find()) {
          throw new IllegalArgumentException("no kind in " + doc);
        }
        switch (m.group(1)) {
          case "VirtualService" -> vss.add(Serialization.unmarshal(doc, VirtualService.class));
          case "DestinationRule" -> drs.add(Serialization.unmarshal(doc, DestinationRule.class));
          case "Gateway" -> gws.add(Serialization.unmarshal(doc, Gateway.class));
          case "PeerAuthentication" ->
              pas.add(Serialization.unmarshal(doc, PeerAuthentication.class));
          case "ServiceEntry" -> ses.add(Serialization.unmarshal(doc, ServiceEntry.class));
          case "Sidecar" -> scs.add(Serialization.unmarshal(doc, Sidecar.class));
          case "Service" -> services.add(Serialization.unmarshal(doc, Service.class));
          default -> throw new IllegalArgumentException("unexpected kind " + m.group(1));
        }
      }
    }
    return new ClusterState(
        services,
        s.endpointSlices(),
        s.pods(),
        s.nodes(),
        ses,
        s.workloadEntries(),
        vss,
        drs,
        gws,
        scs,
        pas,
        s.authorizationPolicies(),
        s.requestAuthentications());
  }

  /** What {@code proxy} gets from the control plane in that mesh. */
  static ProxyResources resources(String yaml, ProxyNode proxy) {
    return ResourceGenerator.generate(Fixtures.build(with(yaml)), proxy);
  }

  /** The same with a mesh config's trust domain and aliases. */
  static ProxyResources resources(
      String yaml, ProxyNode proxy, String trustDomain, List<String> aliases) {
    var mesh = Fixtures.build(with(yaml));
    mesh =
        mesh.withPolicies(
            mesh.policies()
                .withSettings(
                    new dev.isthmus.controlplane.model.SecuritySettings(
                        trustDomain, aliases, List.of(), Map.of())));
    return ResourceGenerator.generate(mesh, proxy);
  }

  /** Configuration refused by discovery's validation: {@code Kind ns/name} to the reason. */
  static Map<String, String> rejected(String yaml) {
    return Fixtures.build(with(yaml)).rejected();
  }
}
