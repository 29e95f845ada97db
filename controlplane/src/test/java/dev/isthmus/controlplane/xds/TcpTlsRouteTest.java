package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.generate;
import static dev.isthmus.controlplane.xds.Generated.listener;
import static dev.isthmus.controlplane.xds.Generated.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.TCPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.TCPRouteBuilder;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** VirtualService {@code tcp} and {@code tls} routes on sidecar outbound listeners. */
class TcpTlsRouteTest {
  static final String MONGO = "mongo.default.svc.cluster.local";
  static final String SECURE = "secure.default.svc.cluster.local";
  static final ProxyNode PRODUCTPAGE = Fixtures.sidecar("10.1.0.9", "productpage", "default");

  static ClusterState with(List<VirtualService> vs) {
    ClusterState s = RouteGenerationTest.with(vs);
    List<Service> services = new ArrayList<>(s.services());
    Service mongo = Fixtures.service("default", "mongo", "tcp-mongo", 27017, 27017);
    mongo.getSpec().setClusterIP("10.96.0.20");
    Service secure = Fixtures.service("default", "secure", "tls", 443, 8443);
    secure.getSpec().setClusterIP("10.96.0.30");
    services.add(mongo);
    services.add(secure);
    return s.withServices(services);
  }

  static RouteDestination weighted(RouteDestination d, int weight) {
    d.setWeight(weight);
    return d;
  }

  @Test
  void tcpRouteSplitsConnectionsByWeight() throws Exception {
    TCPRoute split =
        new TCPRouteBuilder()
            .addNewMatch()
            .withPort(27017L)
            .endMatch()
            .withRoute(
                weighted(Fixtures.tcpTo("mongo", "v1"), 70),
                weighted(Fixtures.tcpTo("mongo", "v2"), 30),
                weighted(Fixtures.tcpTo("mongo", "v3"), 0))
            .build();
    VirtualService vs =
        Fixtures.virtualService("mongo", "mongo").editSpec().withTcp(split).endSpec().build();
    ProxyResources r = generate(with(List.of(vs)), PRODUCTPAGE);

    Listener l = listener(r, "10.96.0.20_27017");
    assertThat(l.getFilterChainsCount()).isEqualTo(1);
    TcpProxy t = tcp(l, 0);
    assertThat(t.getStatPrefix()).isEqualTo(MONGO);
    assertThat(t.getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight())
        .containsExactly(
            "outbound|27017|v1|" + MONGO + "=70", "outbound|27017|v2|" + MONGO + "=30");
  }

  @Test
  void tcpPortWithoutRoutesGoesToTheServiceCluster() throws Exception {
    ProxyResources r = generate(with(List.of()), PRODUCTPAGE);

    TcpProxy t = tcp(listener(r, "10.96.0.20_27017"), 0);
    assertThat(t.getCluster()).isEqualTo("outbound|27017||" + MONGO);
    assertThat(t.getStatPrefix()).isEqualTo("outbound|27017||" + MONGO);
  }

  @Test
  void tlsRoutesMatchBySniThenFallBackToTheServiceCluster() throws Exception {
    VirtualService vs =
        Fixtures.virtualService("secure", "secure")
            .editSpec()
            .addNewTl()
            .addNewMatch()
            .withSniHosts("b.secure.example", "a.secure.example")
            .withPort(443L)
            .endMatch()
            .withRoute(Fixtures.tcpTo("secure", "canary"))
            .endTl()
            .addNewTl()
            .addNewMatch()
            .withSniHosts("a.secure.example", "c.secure.example")
            .endMatch()
            .withRoute(Fixtures.tcpTo("secure", null))
            .endTl()
            .addNewTl()
            .addNewMatch()
            .withSniHosts("other.example")
            .withPort(8443L)
            .endMatch()
            .withRoute(Fixtures.tcpTo("mongo", null))
            .endTl()
            .endSpec()
            .build();
    ProxyResources r = generate(with(List.of(vs)), PRODUCTPAGE);

    Listener l = listener(r, "10.96.0.30_443");
    assertThat(l.getListenerFilters(0).getName()).isEqualTo("envoy.filters.listener.tls_inspector");
    assertThat(l.getFilterChainsCount()).as("the 8443 match does not apply on 443").isEqualTo(3);
    assertThat(l.getFilterChains(0).getFilterChainMatch().getServerNamesList())
        .containsExactly("a.secure.example", "b.secure.example");
    assertThat(tcp(l, 0).getCluster()).isEqualTo("outbound|443|canary|" + SECURE);
    assertThat(l.getFilterChains(1).getFilterChainMatch().getServerNamesList())
        .as("a name already matched by an earlier route is not matched twice")
        .containsExactly("c.secure.example");
    assertThat(l.getFilterChains(2).hasFilterChainMatch()).isFalse();
    assertThat(tcp(l, 2).getCluster()).isEqualTo("outbound|443||" + SECURE);
  }

  @Test
  void gatewayTcpServersForwardByTcpRoutesWithOrWithoutTermination() throws Exception {
    ServerTLSSettings terminate = Fixtures.tls(ServerTLSSettingsTLSmode.SIMPLE, "db-cert");
    Gateway gw =
        Fixtures.ingressGateway(
            Fixtures.server(31400, "tcp", "TCP", null, "*"),
            Fixtures.server(9443, "tls-db", "TLS", terminate, "db.example.com"));
    VirtualService tcp =
        Fixtures.virtualService("tcp", "*")
            .editSpec()
            .withGateways("istio-system/gw")
            .addNewTcp()
            .addNewMatch()
            .withPort(31400L)
            .endMatch()
            .withRoute(Fixtures.tcpTo("mongo", null))
            .endTcp()
            .endSpec()
            .build();
    VirtualService db =
        Fixtures.virtualService("db", "db.example.com")
            .editSpec()
            .withGateways("istio-system/gw")
            .addNewTcp()
            .addNewRoute()
            .withNewDestination()
            .withHost("mongo")
            .withNewPort(27017L)
            .endDestination()
            .endRoute()
            .endTcp()
            .endSpec()
            .build();
    ClusterState withGateway =
        Fixtures.withIngressPod(with(List.of(tcp, db))).withGateways(List.of(gw));
    ProxyResources r = generate(withGateway, Fixtures.ingressRouter());

    Listener plain = listener(r, "0.0.0.0_31400");
    assertThat(plain.getFilterChains(0).hasTransportSocket()).isFalse();
    assertThat(tcp(plain, 0).getCluster()).isEqualTo("outbound|27017||" + MONGO);

    Listener terminated = listener(r, "0.0.0.0_9443");
    assertThat(terminated.getFilterChains(0).getFilterChainMatch().getServerNamesList())
        .containsExactly("db.example.com");
    assertThat(
            terminated
                .getFilterChains(0)
                .getTransportSocket()
                .getTypedConfig()
                .unpack(DownstreamTlsContext.class)
                .getCommonTlsContext()
                .getTlsCertificateSdsSecretConfigs(0)
                .getName())
        .isEqualTo("kubernetes://db-cert");
    assertThat(tcp(terminated, 0).getCluster()).isEqualTo("outbound|27017||" + MONGO);
  }
}
