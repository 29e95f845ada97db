package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.Generated.generate;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBody;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyString;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectDerivePort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectPort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectRedirectPortSelection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetry;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetryBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.IsHTTPRedirectRedirectPort;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.networking.v1.VirtualService;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** CORS, direct responses, per-destination headers, retries and source matching. */
class RouteFeaturesTest {
  static final String REVIEWS = RouteGenerationTest.REVIEWS;
  static final ProxyNode PRODUCTPAGE = Fixtures.sidecar("10.1.0.9", "productpage", "default");

  static VirtualService reviews(HTTPRoute... routes) {
    return Fixtures.virtualService("reviews", "reviews")
        .editSpec()
        .withHttp(routes)
        .endSpec()
        .build();
  }

  static HTTPRouteBuilder toReviews(String subset) {
    return new HTTPRouteBuilder().withRoute(Fixtures.to("reviews", subset));
  }

  static ProxyResources generated(ProxyNode proxy, HTTPRoute... http) {
    return generate(RouteGenerationTest.with(List.of(reviews(http))), proxy);
  }

  static List<Route> routes(ProxyNode proxy, HTTPRoute... http) {
    return RouteGenerationTest.reviewsHost(generated(proxy, http), "9080").getRoutesList();
  }

  @Test
  void corsPolicyBecomesPerRouteConfigOfTheCorsFilter() throws Exception {
    HTTPRoute http =
        toReviews("v1")
            .withNewCorsPolicy()
            .withAllowOrigins(
                new StringMatch(new StringMatchExact("https://a.example")),
                new StringMatch(new StringMatchPrefix("https://b.")))
            .withAllowMethods("GET", "POST")
            .withAllowHeaders("x-a", "x-c")
            .withExposeHeaders("x-b")
            .withMaxAge("24h")
            .withAllowCredentials(true)
            .endCorsPolicy()
            .build();
    ProxyResources r = generated(PRODUCTPAGE, http);

    Route route = RouteGenerationTest.reviewsHost(r, "9080").getRoutes(0);
    CorsPolicy cors =
        route.getTypedPerFilterConfigOrThrow("envoy.filters.http.cors").unpack(CorsPolicy.class);
    assertThat(cors.getAllowOriginStringMatchList())
        .extracting(m -> m.getExact() + "|" + m.getPrefix())
        .containsExactly("https://a.example|", "|https://b.");
    assertThat(cors.getAllowMethods()).isEqualTo("GET,POST");
    assertThat(cors.getAllowHeaders()).isEqualTo("x-a,x-c");
    assertThat(cors.getExposeHeaders()).isEqualTo("x-b");
    assertThat(cors.getMaxAge()).isEqualTo("86400");
    assertThat(cors.getAllowCredentials().getValue()).isTrue();
    assertThat(cors.getForwardNotMatchingPreflights().getValue()).isTrue();
    assertThat(cors.getFilterEnabled().getDefaultValue().getNumerator()).isEqualTo(100);
    assertThat(cors.getFilterEnabled().getDefaultValue().getDenominator())
        .isEqualTo(FractionalPercent.DenominatorType.HUNDRED);

    assertThat(
            Generated.hcm(Generated.listener(r, "0.0.0.0_9080").getFilterChains(0))
                .getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
  }

  @Test
  void proxylessClientsGetNeitherTheCorsFilterNorItsRouteConfig() throws Exception {
    HTTPRoute http =
        toReviews("v1").withNewCorsPolicy().withAllowMethods("GET").endCorsPolicy().build();
    ProxyNode client = Fixtures.proxyless("default");
    ProxyResources r = generated(client, http);

    RouteConfiguration rc = Generated.routes(r, REVIEWS + ":9080");
    assertThat(rc.getVirtualHosts(0).getRoutes(0).getTypedPerFilterConfigMap()).isEmpty();
    HttpConnectionManager hcm =
        Generated.listener(r, REVIEWS + ":9080")
            .getApiListener()
            .getApiListener()
            .unpack(HttpConnectionManager.class);
    assertThat(hcm.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
  }

  @Test
  void directResponseAnswersWithoutUpstream() {
    HTTPRoute http =
        new HTTPRouteBuilder()
            .withNewDirectResponse()
            .withStatus(503L)
            .withBody(new HTTPBody(new HTTPBodyString("down for maintenance")))
            .endDirectResponse()
            .build();
    Route route = routes(PRODUCTPAGE, http).get(0);
    assertThat(route.hasDirectResponse()).isTrue();
    assertThat(route.getDirectResponse().getStatus()).isEqualTo(503);
    assertThat(route.getDirectResponse().getBody().getInlineString())
        .isEqualTo("down for maintenance");
    RouteConfiguration rc = Generated.routes(generated(PRODUCTPAGE, http), "9080");
    assertThat(rc.getMaxDirectResponseBodySizeBytes().getValue()).isEqualTo(1024 * 1024);
  }

  @Test
  void weightedDestinationsCarryTheirOwnHeaderOperations() {
    HTTPRoute http =
        toReviews("v1")
            .editFirstRoute()
            .withWeight(90)
            .withNewHeaders()
            .withNewRequest()
            .withSet(Map.of("x-version", "v1", ":authority", "reviews-v1"))
            .endRequest()
            .withNewResponse()
            .withRemove("x-debug")
            .endResponse()
            .endHeaders()
            .endRoute()
            .addToRoute(Fixtures.to("reviews", "v2"))
            .editLastRoute()
            .withWeight(10)
            .endRoute()
            .build();
    WeightedCluster w = routes(PRODUCTPAGE, http).get(0).getRoute().getWeightedClusters();
    WeightedCluster.ClusterWeight v1 = w.getClusters(0);
    assertThat(v1.getName()).isEqualTo("outbound|9080|v1|" + REVIEWS);
    assertThat(v1.getWeight().getValue()).isEqualTo(90);
    assertThat(v1.getRequestHeadersToAddList())
        .as("pseudo-headers are not set as headers")
        .extracting(h -> h.getHeader().getKey() + "=" + h.getHeader().getValue())
        .containsExactly("x-version=v1");
    assertThat(v1.getHostRewriteLiteral()).isEqualTo("reviews-v1");
    assertThat(v1.getResponseHeadersToRemoveList()).containsExactly("x-debug");
    assertThat(w.getClusters(1).getRequestHeadersToAddCount()).isZero();
  }

  static Stream<Arguments> retries() {
    return Stream.of(
        Arguments.of("mesh default", null, RouteTranslator.DEFAULT_RETRY_ON, 2, List.of(503), null),
        Arguments.of(
            "status codes split out",
            new HTTPRetryBuilder().withAttempts(3).withRetryOn("5xx,429,gateway-error").build(),
            "5xx,gateway-error,retriable-status-codes",
            3,
            List.of(429),
            null),
        Arguments.of(
            "per try timeout",
            new HTTPRetryBuilder().withAttempts(1).withPerTryTimeout("250ms").build(),
            RouteTranslator.DEFAULT_RETRY_ON,
            1,
            List.of(503),
            250),
        Arguments.of(
            "disabled", new HTTPRetryBuilder().withAttempts(0).build(), null, 0, List.of(), null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("retries")
  void retryPoliciesFollowIstiosConversion(
      String name,
      HTTPRetry in,
      String retryOn,
      int attempts,
      List<Integer> codes,
      Integer perTryMs) {
    Route route = routes(PRODUCTPAGE, toReviews("v1").withRetries(in).build()).get(0);
    if (retryOn == null) {
      assertThat(route.getRoute().hasRetryPolicy()).isFalse();
      return;
    }
    RetryPolicy p = route.getRoute().getRetryPolicy();
    assertThat(p.getRetryOn()).isEqualTo(retryOn);
    assertThat(p.getNumRetries().getValue()).isEqualTo(attempts);
    assertThat(p.getRetriableStatusCodesList()).containsExactlyElementsOf(codes);
    assertThat(p.getRetryHostPredicate(0).getName())
        .isEqualTo("envoy.retry_host_predicates.previous_hosts");
    assertThat(p.getHostSelectionRetryMaxAttempts()).isEqualTo(5);
    if (perTryMs != null) {
      assertThat(p.getPerTryTimeout().getNanos()).isEqualTo(perTryMs * 1_000_000);
    }
  }

  @Test
  void routesMatchOnSourceLabelsAndNamespaceOfTheProxy() {
    HTTPRoute fromProductpage =
        toReviews("v2")
            .addNewMatch()
            .withSourceLabels(Map.of("app", "productpage"))
            .withSourceNamespace("default")
            .endMatch()
            .build();
    HTTPRoute fromElsewhere =
        toReviews("v1").addNewMatch().withSourceNamespace("other").endMatch().build();
    HTTPRoute rest = toReviews("v3").build();

    // For productpage the first route matches everything it sends: nothing after it is reachable.
    assertThat(routes(PRODUCTPAGE, fromProductpage, fromElsewhere, rest))
        .extracting(r -> r.getRoute().getCluster())
        .containsExactly("outbound|9080|v2|" + REVIEWS);
    assertThat(
            routes(
                Fixtures.sidecar("10.1.0.1", "reviews-v1", "default"),
                fromProductpage,
                fromElsewhere,
                rest))
        .extracting(r -> r.getRoute().getCluster())
        .containsExactly("outbound|9080|v3|" + REVIEWS);
  }

  @Test
  void translationStopsAfterTheFirstCatchAllRoute() {
    assertThat(routes(PRODUCTPAGE, toReviews("v1").build(), toReviews("v2").build()))
        .extracting(r -> r.getRoute().getCluster())
        .containsExactly("outbound|9080|v1|" + REVIEWS);
  }

  static Stream<Arguments> redirects() {
    return Stream.of(
        Arguments.of("explicit port", new HTTPRedirectPort(8080L), null, false, 8080),
        Arguments.of("default http port dropped", new HTTPRedirectPort(80L), null, false, 0),
        Arguments.of(
            "default https port dropped on TLS", new HTTPRedirectPort(443L), null, true, 0),
        Arguments.of("443 kept for http", new HTTPRedirectPort(443L), "http", false, 443),
        Arguments.of(
            "port of the request",
            new HTTPRedirectDerivePort(HTTPRedirectRedirectPortSelection.FROM_REQUEST_PORT),
            null,
            false,
            9080),
        Arguments.of(
            "protocol default",
            new HTTPRedirectDerivePort(HTTPRedirectRedirectPortSelection.FROM_PROTOCOL_DEFAULT),
            null,
            false,
            0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("redirects")
  void redirectPortsFollowIstio(
      String name, IsHTTPRedirectRedirectPort port, String scheme, boolean tls, int expected) {
    HTTPRedirect rd =
        new HTTPRedirectBuilder()
            .withRedirectPort(port)
            .withScheme(scheme)
            .withRedirectCode(308L)
            .build();
    RedirectAction a = RoutePolicies.redirect(rd, 9080, tls);
    assertThat(a.getPortRedirect()).isEqualTo(expected);
    assertThat(a.getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT);
  }

  @Test
  void regexRewriteAndDisabledMirror() {
    HTTPRoute http =
        toReviews("v1")
            .withNewRewrite()
            .withNewUriRegexRewrite()
            .withMatch("^/v1/(.*)$")
            .withRewrite("/\\1")
            .endUriRegexRewrite()
            .endRewrite()
            .withNewMirror()
            .withHost("reviews")
            .withSubset("v2")
            .endMirror()
            .withNewMirrorPercentage(0.0)
            .build();
    var action = routes(PRODUCTPAGE, http).get(0).getRoute();
    assertThat(action.getRegexRewrite().getPattern().getRegex()).isEqualTo("^/v1/(.*)$");
    assertThat(action.getRegexRewrite().getSubstitution()).isEqualTo("/\\1");
    assertThat(action.getPrefixRewrite()).isEmpty();
    assertThat(action.getRequestMirrorPoliciesList()).as("0% mirrors nothing").isEmpty();
  }
}
