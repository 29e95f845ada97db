package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.generate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.model.ConfigEntry;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequestBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualServiceBuilder;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.VirtualService;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Several VirtualServices for one host, and delegate VirtualServices. */
class VirtualServiceMergeTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";

  static StringMatch prefix(String p) {
    return new StringMatch(new StringMatchPrefix(p));
  }

  static StringMatch exact(String p) {
    return new StringMatch(new StringMatchExact(p));
  }

  static VirtualService vs(
      String name, String created, String host, String gateway, String uriPrefix, String dest) {
    var http = new io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteBuilder();
    if (uriPrefix != null) {
      http.addNewMatch().withUri(prefix(uriPrefix)).endMatch();
    }
    http.addNewRoute()
        .withNewDestination()
        .withHost(dest)
        .withNewPort(9080L)
        .endDestination()
        .endRoute();
    return new io.fabric8.istio.api.networking.v1.VirtualServiceBuilder()
        .withNewMetadata()
        .withNamespace("default")
        .withName(name)
        .withCreationTimestamp(created)
        .endMetadata()
        .withNewSpec()
        .withHosts(host)
        .withGateways(gateway == null ? List.of() : List.of(gateway))
        .withHttp(http.build())
        .endSpec()
        .build();
  }

  static Gateway gateway() {
    return Fixtures.ingressGateway(
        Fixtures.server(80, "http", "HTTP", null, "bookinfo.example.com"));
  }

  @Test
  void gatewayMergesVirtualServicesOfAHostOldestFirstWithCatchAllLast() {
    // Created: catchall and ratings at the same time (name decides), reviews later.
    List<VirtualService> vss =
        List.of(
            vs(
                "reviews",
                "2024-02-01T00:00:00Z",
                "bookinfo.example.com",
                "istio-system/gw",
                "/reviews",
                "reviews"),
            vs(
                "ratings",
                "2024-01-01T00:00:00Z",
                "bookinfo.example.com",
                "istio-system/gw",
                "/ratings",
                "ratings"),
            vs(
                "catchall",
                "2024-01-01T00:00:00Z",
                "bookinfo.example.com",
                "istio-system/gw",
                null,
                "productpage"));
    ProxyResources r =
        generate(
            ListenerGenerationTest.with(vss, List.of(gateway()), List.of(), true),
            Fixtures.ingressRouter());

    RouteConfiguration http80 = Generated.routes(r, "http.80");
    assertThat(http80.getVirtualHostsList()).hasSize(1);
    VirtualHost vh = http80.getVirtualHosts(0);
    assertThat(vh.getName()).isEqualTo("bookinfo.example.com:80");
    assertThat(vh.getRoutesList())
        .extracting(rt -> rt.getMatch().getPrefix() + " -> " + rt.getRoute().getCluster())
        .containsExactly(
            "/ratings -> outbound|9080||ratings.default.svc.cluster.local",
            "/reviews -> outbound|9080||reviews.default.svc.cluster.local",
            "/ -> outbound|9080||productpage.default.svc.cluster.local");
  }

  @Test
  void sidecarTakesOnlyTheOldestVirtualServiceOfAHost() {
    List<VirtualService> vss =
        List.of(
            vs("newer", "2024-02-01T00:00:00Z", "reviews", null, "/newer", "ratings"),
            vs("older", "2024-01-01T00:00:00Z", "reviews", null, "/older", "productpage"));
    ProxyResources r =
        generate(
            RouteGenerationTest.with(vss), Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    assertThat(RouteGenerationTest.reviewsHost(r, "9080").getRoutesList())
        .extracting(rt -> rt.getMatch().getPrefix())
        .containsExactly("/older");
  }

  @Test
  void delegateRoutesAreMergedUnderTheRootMatchAndInheritItsSettings() {
    var root =
        new VirtualServiceBuilder()
            .withHosts("reviews")
            .addToHttp(
                new HTTPRouteBuilder()
                    .withName("api")
                    .addNewMatch()
                    .withUri(prefix("/api"))
                    .endMatch()
                    .withTimeout("3s")
                    .withNewDelegate()
                    .withName("reviews-api")
                    .withNamespace("team")
                    .endDelegate()
                    .build())
            .addToHttp(
                new HTTPRouteBuilder()
                    .withName("private")
                    .addNewMatch()
                    .withUri(prefix("/private"))
                    .endMatch()
                    .withNewDelegate()
                    .withName("reviews-private")
                    .withNamespace("team")
                    .endDelegate()
                    .build())
            .addToHttp(new HTTPRouteBuilder().withRoute(Fixtures.to("reviews", "v1")).build())
            .build();
    var hidden =
        new VirtualServiceBuilder()
            .withExportTo(".")
            .addToHttp(new HTTPRouteBuilder().withRoute(Fixtures.to("ratings", null)).build())
            .build();
    var delegate =
        new VirtualServiceBuilder()
            .addToHttp(
                new HTTPRouteBuilder()
                    .withName("v2")
                    .addNewMatch()
                    .withUri(exact("/api/v2"))
                    .endMatch()
                    .withRoute(Fixtures.to("ratings", null))
                    .build())
            .addToHttp(
                new HTTPRouteBuilder()
                    .withName("outside")
                    .addNewMatch()
                    .withUri(prefix("/other"))
                    .endMatch()
                    .withRoute(Fixtures.to("ratings", null))
                    .build())
            .addToHttp(
                new HTTPRouteBuilder()
                    .addNewMatch()
                    .withHeaders(Map.of("end-user", exact("jason")))
                    .endMatch()
                    .withTimeout("1s")
                    .withRoute(Fixtures.to("reviews.default", "v2"))
                    .build())
            .build();
    var mesh =
        Fixtures.withVirtualServices(
            Fixtures.build(RouteGenerationTest.with(List.of())),
            List.of(
                new ConfigEntry<>("default", "reviews-root", root),
                new ConfigEntry<>("team", "reviews-api", delegate),
                new ConfigEntry<>("team", "reviews-private", hidden)));

    ProxyResources r =
        ResourceGenerator.generate(mesh, Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    List<Route> routes = RouteGenerationTest.reviewsHost(r, "9080").getRoutesList();
    assertThat(routes)
        .extracting(Route::getName)
        .as("the conflicting /other route and the unexported delegate are dropped")
        .containsExactly("api-v2", "api", "");
    Route v2 = routes.get(0);
    assertThat(v2.getMatch().getPath()).isEqualTo("/api/v2");
    assertThat(v2.getRoute().getCluster())
        .as("delegate hosts resolve in the delegate's namespace")
        .isEqualTo("outbound|9080||ratings.team.svc.cluster.local");
    assertThat(v2.getRoute().getTimeout().getSeconds()).as("inherited from the root").isEqualTo(3);
    Route byHeader = routes.get(1);
    assertThat(byHeader.getMatch().getPrefix()).isEqualTo("/api");
    assertThat(byHeader.getMatch().getHeaders(0).getName()).isEqualTo("end-user");
    assertThat(byHeader.getRoute().getCluster()).isEqualTo("outbound|9080|v2|" + REVIEWS);
    assertThat(byHeader.getRoute().getTimeout().getSeconds()).as("the delegate's own").isEqualTo(1);
    assertThat(routes.get(2).getRoute().getCluster()).isEqualTo("outbound|9080|v1|" + REVIEWS);
    assertThat(r.messages(Resources.V3.ROUTE_TYPE_URL).get("9080").toString())
        .as("a delegate binds no host of its own")
        .doesNotContain("reviews-api");
  }

  static Stream<Arguments> matchConflicts() {
    StringMatch regex = new StringMatch(new StringMatchRegex("/a.*"));
    return Stream.of(
        Arguments.of("prefix under prefix", prefix("/a"), prefix("/a/b"), false),
        Arguments.of("prefix wider than root", prefix("/a/b"), prefix("/a"), true),
        Arguments.of("same exact", exact("/a"), exact("/a"), false),
        Arguments.of("other exact", exact("/a"), exact("/b"), true),
        Arguments.of("prefix under exact", exact("/a"), prefix("/a"), true),
        Arguments.of("exact under prefix", prefix("/a"), exact("/a/x"), false),
        Arguments.of("exact outside prefix", prefix("/a"), exact("/b"), true),
        Arguments.of("regex root", regex, exact("/a"), true),
        Arguments.of("regex leaf", prefix("/a"), regex, true),
        Arguments.of("no root condition", null, exact("/a"), false),
        Arguments.of("no leaf condition", prefix("/a"), null, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("matchConflicts")
  void delegateMatchMustBeNarrowerThanTheRoot(
      String name, StringMatch root, StringMatch leaf, boolean conflict) {
    assertThat(VirtualServiceDelegates.conflicts(root, leaf)).isEqualTo(conflict);
    var merged =
        VirtualServiceDelegates.mergeRoute(
            new HTTPRouteBuilder()
                .addToMatch(new HTTPMatchRequestBuilder().withUri(root).build())
                .build(),
            new HTTPRouteBuilder()
                .addToMatch(new HTTPMatchRequestBuilder().withUri(leaf).build())
                .build());
    assertThat(merged == null).isEqualTo(conflict);
  }

  @Test
  void httpsRedirectOnAGatewayServerRequiresTls() {
    Gateway gw = gateway();
    gw.getSpec()
        .getServers()
        .get(0)
        .setTls(
            new io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsBuilder()
                .withHttpsRedirect(true)
                .build());
    ProxyResources r =
        generate(
            ListenerGenerationTest.with(
                List.of(
                    vs(
                        "a",
                        "2024-01-01T00:00:00Z",
                        "bookinfo.example.com",
                        "istio-system/gw",
                        null,
                        "productpage")),
                List.of(gw),
                List.of(),
                true),
            Fixtures.ingressRouter());

    RouteConfiguration http80 = Generated.routes(r, "http.80");
    assertThat(http80.getVirtualHosts(0).getRequireTls())
        .isEqualTo(VirtualHost.TlsRequirementType.ALL);
  }
}
