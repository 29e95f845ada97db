package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.generate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.controlplane.discovery.ClusterState;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.networking.v1.VirtualService;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RDS generated from VirtualService http routes, for sidecars and proxyless gRPC. */
class RouteGenerationTest {
  static final String REVIEWS = "reviews.default.svc.cluster.local";

  static StringMatch exact(String v) {
    return new StringMatch(new StringMatchExact(v));
  }

  static VirtualService reviewsRoutes() {
    return Fixtures.virtualService("reviews", "reviews")
        .editMetadata()
        .withCreationTimestamp("2024-01-01T00:00:00Z")
        .endMetadata()
        .editSpec()
        .addNewHttp()
        .withName("api")
        .addNewMatch()
        .withUri(new StringMatch(new StringMatchPrefix("/api")))
        .withHeaders(Map.of("end-user", exact("jason")))
        .withMethod(exact("GET"))
        .withQueryParams(Map.of("debug", exact("1")))
        .endMatch()
        .withRoute(Fixtures.to("reviews", "v2"))
        .withTimeout("2s")
        .withNewRetries()
        .withAttempts(3)
        .withPerTryTimeout("1s")
        .withRetryOn("5xx")
        .endRetries()
        .withNewFault()
        .withNewDelay()
        .withHttpDelayType(new HTTPFaultInjectionDelayFixedDelay("5s"))
        .withNewPercentage(10.0)
        .endDelay()
        .withNewAbort()
        .withErrorType(new HTTPFaultInjectionAbortHttpStatus(503))
        .withNewPercentage(1.0)
        .endAbort()
        .endFault()
        .withNewRewrite()
        .withUri("/v2")
        .withAuthority("reviews-v2")
        .endRewrite()
        .withNewHeaders()
        .withNewRequest()
        .withSet(Map.of("x-a", "1"))
        .withAdd(Map.of("x-b", "2"))
        .endRequest()
        .withNewResponse()
        .withRemove("x-internal")
        .endResponse()
        .endHeaders()
        .withNewMirror()
        .withHost("reviews")
        .withSubset("v1")
        .endMirror()
        .withNewMirrorPercentage(25.0)
        .endHttp()
        .addNewHttp()
        .addNewMatch()
        .withUri(exact("/old"))
        .endMatch()
        .withNewRedirect()
        .withUri("/new")
        .withRedirectCode(302L)
        .endRedirect()
        .endHttp()
        .addNewHttp()
        .addNewMatch()
        .withUri(new StringMatch(new StringMatchRegex("^/r/[0-9]+$")))
        .endMatch()
        .addNewRoute()
        .withNewDestination()
        .withHost("reviews")
        .withSubset("v1")
        .endDestination()
        .withWeight(80)
        .endRoute()
        .addNewRoute()
        .withNewDestination()
        .withHost("reviews")
        .withSubset("v2")
        .endDestination()
        .withWeight(20)
        .endRoute()
        .endHttp()
        .endSpec()
        .build();
  }

  static ClusterState with(List<VirtualService> vs) {
    ClusterState s = Fixtures.reviews();
    return s.withVirtualServices(vs);
  }

  static VirtualHost reviewsHost(ProxyResources r, String routeName) {
    return Generated.routes(r, routeName).getVirtualHostsList().stream()
        .filter(v -> v.getName().equals(REVIEWS + ":9080"))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void sidecarRouteConfigurationPerPortWithVirtualServiceFeatures() throws Exception {
    ProxyResources r =
        generate(
            with(List.of(reviewsRoutes())), Fixtures.sidecar("10.1.0.9", "productpage", "default"));

    VirtualHost vh = reviewsHost(r, "9080");
    assertThat(vh.getDomainsList())
        .contains(
            REVIEWS,
            REVIEWS + ":9080",
            "reviews",
            "reviews:9080",
            "reviews.default",
            "10.96.0.10:9080");
    assertThat(vh.getRoutesList()).hasSize(3);

    Route api = vh.getRoutes(0);
    assertThat(api.getName()).isEqualTo("api");
    assertThat(api.getMatch().getPrefix()).isEqualTo("/api");
    assertThat(api.getMatch().getHeadersList())
        .extracting(h -> h.getName() + "=" + h.getStringMatch().getExact())
        .containsExactly("end-user=jason", ":method=GET");
    assertThat(api.getMatch().getQueryParameters(0).getName()).isEqualTo("debug");
    assertThat(api.getMatch().getQueryParameters(0).getStringMatch().getExact()).isEqualTo("1");
    var action = api.getRoute();
    assertThat(action.getCluster()).isEqualTo("outbound|9080|v2|" + REVIEWS);
    assertThat(action.getTimeout().getSeconds()).isEqualTo(2);
    assertThat(action.getMaxStreamDuration().getMaxStreamDuration().getSeconds()).isEqualTo(2);
    assertThat(action.getRetryPolicy().getRetryOn()).isEqualTo("5xx");
    assertThat(action.getRetryPolicy().getNumRetries().getValue()).isEqualTo(3);
    assertThat(action.getRetryPolicy().getPerTryTimeout().getSeconds()).isEqualTo(1);
    assertThat(action.getRetryPolicy().getRetryHostPredicate(0).getName())
        .isEqualTo("envoy.retry_host_predicates.previous_hosts");
    assertThat(action.getPrefixRewrite()).isEqualTo("/v2");
    assertThat(action.getHostRewriteLiteral()).isEqualTo("reviews-v2");
    assertThat(action.getRequestMirrorPolicies(0).getCluster())
        .isEqualTo("outbound|9080|v1|" + REVIEWS);
    FractionalPercent mirror =
        action.getRequestMirrorPolicies(0).getRuntimeFraction().getDefaultValue();
    assertThat(mirror.getNumerator()).isEqualTo(250_000);
    assertThat(mirror.getDenominator()).isEqualTo(FractionalPercent.DenominatorType.MILLION);
    assertThat(api.getRequestHeadersToAddList())
        .extracting(h -> h.getHeader().getKey() + ":" + h.getAppendAction())
        .containsExactly(
            "x-a:" + HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
            "x-b:" + HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
    assertThat(api.getResponseHeadersToRemoveList()).containsExactly("x-internal");
    HTTPFault fault =
        api.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class);
    assertThat(fault.getDelay().getFixedDelay().getSeconds()).isEqualTo(5);
    assertThat(fault.getDelay().getPercentage().getNumerator()).isEqualTo(100_000);
    assertThat(fault.getAbort().getHttpStatus()).isEqualTo(503);
    assertThat(fault.getAbort().getPercentage().getNumerator()).isEqualTo(10_000);

    Route redirect = vh.getRoutes(1);
    assertThat(redirect.getMatch().getPath()).isEqualTo("/old");
    assertThat(redirect.getRedirect().getPathRedirect()).isEqualTo("/new");
    assertThat(redirect.getRedirect().getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.FOUND);

    Route split = vh.getRoutes(2);
    assertThat(split.getMatch().getSafeRegex().getRegex()).isEqualTo("^/r/[0-9]+$");
    assertThat(split.getRoute().getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight().getValue())
        .containsExactly(
            "outbound|9080|v1|" + REVIEWS + "=80", "outbound|9080|v2|" + REVIEWS + "=20");

    RouteConfiguration rc = Generated.routes(r, "9080");
    VirtualHost productpage =
        rc.getVirtualHostsList().stream()
            .filter(v -> v.getName().startsWith("productpage."))
            .findFirst()
            .orElseThrow();
    assertThat(productpage.getRoutes(0).getRoute().getCluster())
        .isEqualTo("outbound|9080||productpage.default.svc.cluster.local");
    assertThat(rc.getVirtualHostsList())
        .last()
        .extracting(VirtualHost::getName)
        .isEqualTo("allow_any");
  }

  @Test
  void proxylessRouteConfigurationIsNamedHostPortWithoutEnvoyOnlyFeatures() {
    ProxyResources r = generate(with(List.of(reviewsRoutes())), Fixtures.proxyless("default"));

    VirtualHost vh = reviewsHost(r, REVIEWS + ":9080");
    assertThat(vh.getDomainsList()).contains(REVIEWS + ":9080");
    assertThat(vh.getRoutes(0).getRoute().getRetryPolicy().getRetryHostPredicateCount()).isZero();
    assertThat(vh.getRoutes(2).getRoute().getWeightedClusters().getClustersCount()).isEqualTo(2);
    assertThat(r.messages(Resources.V3.ROUTE_TYPE_URL)).doesNotContainKey("9080");
  }

  @Test
  void invalidVirtualServiceIsSkippedAndValidOnesStillRoute() {
    VirtualService bad =
        Fixtures.virtualService("bad", "productpage")
            .editSpec()
            .addNewHttp()
            .addNewMatch()
            .withUri(new StringMatch(new StringMatchRegex("(unclosed")))
            .endMatch()
            .addNewRoute()
            .withNewDestination()
            .withHost("productpage")
            .endDestination()
            .withWeight(-1)
            .endRoute()
            .endHttp()
            .endSpec()
            .build();
    var mesh = Fixtures.build(with(List.of(bad, reviewsRoutes())));

    assertThat(mesh.rejected().get("VirtualService default/bad"))
        .contains("spec.http[0].route[0].weight: must be >= 0, got -1")
        .contains("spec.http[0].match[0].uri.regex: invalid regular expression (unclosed");
    ProxyResources r =
        ResourceGenerator.generate(mesh, Fixtures.sidecar("10.1.0.9", "productpage", "default"));
    assertThat(reviewsHost(r, "9080").getRoutesList()).hasSize(3);
  }
}
