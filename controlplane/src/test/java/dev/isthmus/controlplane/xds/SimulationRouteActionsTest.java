package dev.isthmus.controlplane.xds;

import static dev.isthmus.controlplane.xds.SimulationTest.ALL;
import static dev.isthmus.controlplane.xds.SimulationTest.V1;
import static dev.isthmus.controlplane.xds.SimulationTest.V2;
import static dev.isthmus.controlplane.xds.SimulationTest.c;
import static dev.isthmus.controlplane.xds.SimulationTest.get;
import static dev.isthmus.controlplane.xds.SimulationTest.vs;

import dev.isthmus.controlplane.xds.Simulation.Call;
import dev.isthmus.controlplane.xds.Simulation.Direct;
import dev.isthmus.controlplane.xds.Simulation.Outcome;
import dev.isthmus.controlplane.xds.Simulation.Redirect;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a route does, by behaviour: a request from the productpage sidecar and the retries, timeout,
 * fault, mirrors, rewritten path and authority, redirect, direct response and CORS answer the proxy
 * applies, each with routes that must not get them.
 */
class SimulationRouteActionsTest {
  static Stream<Arguments> actions() {
    String retries =
        vs(
            """
            - match: [{uri: {prefix: /explicit}}]
              retries: {attempts: 4, perTryTimeout: 1s}
              route: [{destination: {host: reviews}}]
            - match: [{uri: {prefix: /codes}}]
              retries: {attempts: 3, retryOn: "gateway-error,503"}
              route: [{destination: {host: reviews}}]
            - match: [{uri: {prefix: /none}}]
              retries: {attempts: 0}
              route: [{destination: {host: reviews}}]
            - route: [{destination: {host: reviews}}]
            """);
    String timeouts =
        vs(
            """
            - match: [{uri: {prefix: /slow}}]
              timeout: 3s
              route: [{destination: {host: reviews}}]
            - match: [{uri: {prefix: /fast}}]
              timeout: 250ms
              route: [{destination: {host: reviews}}]
            - route: [{destination: {host: reviews}}]
            """);
    String faults =
        vs(
            """
            - match: [{uri: {prefix: /abort}}]
              fault: {abort: {httpStatus: 503, percentage: {value: 50}}}
              route: [{destination: {host: reviews}}]
            - match: [{uri: {prefix: /delay}}]
              fault: {delay: {fixedDelay: 2s, percentage: {value: 10}}}
              route: [{destination: {host: reviews}}]
            - match: [{uri: {prefix: /grpc}}]
              fault: {abort: {grpcStatus: UNAVAILABLE}}
              route: [{destination: {host: reviews}}]
            - route: [{destination: {host: reviews}}]
            """);
    String mirrors =
        vs(
            """
            - match: [{uri: {prefix: /all}}]
              mirror: {host: reviews, subset: v2}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{uri: {prefix: /quarter}}]
              mirror: {host: reviews, subset: v2}
              mirrorPercentage: {value: 25}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{uri: {prefix: /off}}]
              mirror: {host: reviews, subset: v2}
              mirrorPercentage: {value: 0}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{uri: {prefix: /two}}]
              mirrors:
              - {destination: {host: reviews, subset: v1}, percentage: {value: 10}}
              - {destination: {host: reviews, subset: v2}}
              route: [{destination: {host: reviews}}]
            - route: [{destination: {host: reviews, subset: v1}}]
            """);
    String rewrites =
        vs(
            """
            - match: [{uri: {prefix: /api}}]
              rewrite: {uri: /v2/api, authority: reviews-v2}
              route: [{destination: {host: reviews, subset: v2}}]
            - match: [{uri: {exact: /old}}]
              rewrite: {uri: /new}
              route: [{destination: {host: reviews}}]
            - match: [{uri: {prefix: /users}}]
              rewrite: {uriRegexRewrite: {match: '^/users/([0-9]+)$', rewrite: '/u/\\1'}}
              route: [{destination: {host: reviews}}]
            - route: [{destination: {host: reviews}}]
            """);
    String redirects =
        vs(
            """
            - match: [{uri: {prefix: /moved}}]
              redirect: {uri: /new, authority: new.example.com}
            - match: [{uri: {prefix: /found}}]
              redirect: {uri: /elsewhere, redirectCode: 302}
            - match: [{uri: {prefix: /secure}}]
              redirect: {scheme: https, port: 8443}
            - route: [{destination: {host: reviews}}]
            """);
    String direct =
        vs(
            """
            - match: [{uri: {prefix: /teapot}}]
              directResponse: {status: 418}
            - match: [{uri: {prefix: /maintenance}}]
              directResponse: {status: 503, body: {string: "back soon"}}
            - route: [{destination: {host: reviews}}]
            """);
    String cors =
        vs(
            """
            - match: [{uri: {prefix: /api}}]
              corsPolicy:
                allowOrigins: [{exact: "https://shop.example.com"}, {prefix: "https://admin."}]
                allowMethods: [GET, POST]
              route: [{destination: {host: reviews}}]
            - route: [{destination: {host: reviews}}]
            """);
    return Stream.of(
        c(
            "retries: attempts and per-try timeout, Istio's retry conditions",
            retries,
            get("reviews", "/explicit"),
            o ->
                o.retry().attempts() == 4
                    && "1s".equals(o.retry().perTryTimeout())
                    && o.retry().retryOn().contains("connect-failure")
                    && o.retry().statusCodes().equals(List.of(503)),
            "4 attempts, 1s per try, connect-failure..., 503"),
        c(
            "retries: a status code in retryOn",
            retries,
            get("reviews", "/codes"),
            o ->
                o.retry().attempts() == 3
                    && o.retry().retryOn().equals("gateway-error,retriable-status-codes")
                    && o.retry().statusCodes().equals(List.of(503)),
            "3 attempts on gateway-error and 503"),
        c(
            "retries: 0 attempts means none",
            retries,
            get("reviews", "/none"),
            o -> ALL.equals(o.cluster()) && o.retry() == null,
            "no retry policy"),
        c(
            "retries: Istio's default of 2 when the route sets none",
            retries,
            get("reviews", "/other"),
            o -> o.retry().attempts() == 2 && o.retry().statusCodes().equals(List.of(503)),
            "2 attempts"),
        c(
            "retries: the default route of a service without VirtualService",
            null,
            get("reviews", "/"),
            o -> o.retry() != null && o.retry().attempts() == 2,
            "2 attempts"),
        c(
            "timeout: the route's",
            timeouts,
            get("reviews", "/slow"),
            o -> "3s".equals(o.timeout()),
            "3s"),
        c(
            "timeout: milliseconds",
            timeouts,
            get("reviews", "/fast"),
            o -> "250ms".equals(o.timeout()),
            "250ms"),
        c(
            "timeout: none by default (not Envoy's 15s)",
            timeouts,
            get("reviews", "/other"),
            o -> "0s".equals(o.timeout()),
            "0s"),
        c(
            "timeout: none without VirtualService either",
            null,
            get("reviews", "/"),
            o -> "0s".equals(o.timeout()),
            "0s"),
        c(
            "fault: abort with 503 for half the requests",
            faults,
            get("reviews", "/abort"),
            o ->
                ALL.equals(o.cluster())
                    && o.fault().abortStatus() == 503
                    && o.fault().abortPercent() == 50.0
                    && o.fault().delay() == null,
            "503 at 50% on " + ALL),
        c(
            "fault: fixed delay for 10%",
            faults,
            get("reviews", "/delay"),
            o ->
                "2s".equals(o.fault().delay())
                    && o.fault().delayPercent() == 10.0
                    && o.fault().abortStatus() == null,
            "2s at 10%"),
        c(
            "fault: gRPC abort, every request when no percentage",
            faults,
            get("reviews", "/grpc"),
            o -> o.fault().abortGrpcStatus() == 14 && o.fault().abortPercent() == 100.0,
            "UNAVAILABLE (14) at 100%"),
        c(
            "fault: not on the other routes",
            faults,
            get("reviews", "/other"),
            o -> ALL.equals(o.cluster()) && o.fault() == null,
            "no fault"),
        c(
            "mirror: every request copied",
            mirrors,
            get("reviews", "/all"),
            o -> V1.equals(o.cluster()) && o.mirrors().equals(Map.of(V2, 100.0)),
            "v1, mirrored to v2 at 100%"),
        c(
            "mirror: a percentage",
            mirrors,
            get("reviews", "/quarter"),
            o -> o.mirrors().equals(Map.of(V2, 25.0)),
            "mirrored to v2 at 25%"),
        c(
            "mirror: 0% turns it off",
            mirrors,
            get("reviews", "/off"),
            o -> V1.equals(o.cluster()) && o.mirrors().isEmpty(),
            "no mirror"),
        c(
            "mirror: several destinations",
            mirrors,
            get("reviews", "/two"),
            o ->
                o.mirrors().equals(Map.of(V1, 10.0, V2, 100.0))
                    && o.upstreams().get(V2).error() == null,
            "v1 at 10%, v2 at 100%, both clusters exist"),
        c(
            "mirror: not on the other routes",
            mirrors,
            get("reviews", "/other"),
            o -> o.mirrors().isEmpty(),
            "no mirror"),
        c(
            "rewrite: the matched prefix and the authority, the rest and the query kept",
            rewrites,
            get("reviews", "/api/x?y=1"),
            o ->
                V2.equals(o.cluster())
                    && "/v2/api/x?y=1".equals(o.upstreamPath())
                    && "reviews-v2".equals(o.upstreamHost()),
            "/v2/api/x?y=1 to reviews-v2"),
        c(
            "rewrite: an exact match replaces the whole path",
            rewrites,
            get("reviews", "/old"),
            o -> "/new".equals(o.upstreamPath()) && "reviews".equals(o.upstreamHost()),
            "/new, authority unchanged"),
        c(
            "rewrite: regex with a capture group",
            rewrites,
            get("reviews", "/users/42"),
            o -> "/u/42".equals(o.upstreamPath()),
            "/u/42"),
        c(
            "rewrite: a prefix match is a string prefix (/apix is under /api)",
            rewrites,
            get("reviews", "/apix"),
            o -> "/v2/apix".equals(o.upstreamPath()),
            "/v2/apix"),
        c(
            "rewrite: not on the other routes",
            rewrites,
            get("reviews", "/other"),
            o -> "/other".equals(o.upstreamPath()) && "reviews".equals(o.upstreamHost()),
            "/other unchanged"),
        c(
            "redirect: path and authority, 301",
            redirects,
            get("reviews", "/moved/page"),
            o ->
                new Redirect(301, "http://new.example.com/new").equals(o.redirect())
                    && o.cluster() == null,
            "301 http://new.example.com/new"),
        c(
            "redirect: 302, the request's host and query kept",
            redirects,
            get("reviews", "/found?q=1"),
            o -> new Redirect(302, "http://reviews/elsewhere?q=1").equals(o.redirect()),
            "302 http://reviews/elsewhere?q=1"),
        c(
            "redirect: scheme and port, path kept",
            redirects,
            get("reviews:9080", "/secure/x"),
            o -> new Redirect(301, "https://reviews:8443/secure/x").equals(o.redirect()),
            "301 https://reviews:8443/secure/x"),
        c(
            "redirect: not on the other routes",
            redirects,
            get("reviews", "/other"),
            o -> o.redirect() == null && ALL.equals(o.cluster()),
            ALL),
        c(
            "direct response: status",
            direct,
            get("reviews", "/teapot"),
            o -> new Direct(418, "").equals(o.direct()) && o.cluster() == null,
            "418"),
        c(
            "direct response: status and body",
            direct,
            get("reviews", "/maintenance"),
            o -> new Direct(503, "back soon").equals(o.direct()),
            "503 back soon"),
        c(
            "direct response: not on the other routes",
            direct,
            get("reviews", "/other"),
            o -> o.direct() == null && ALL.equals(o.cluster()),
            ALL),
        c(
            "CORS: an allowed origin",
            cors,
            get("reviews", "/api").with("Origin", "https://shop.example.com"),
            o -> o.cors().originAllowed() && "GET,POST".equals(o.cors().allowMethods()),
            "allowed, GET,POST"),
        c(
            "CORS: an origin matching a prefix",
            cors,
            get("reviews", "/api").with("Origin", "https://admin.example.com"),
            o -> o.cors().originAllowed(),
            "allowed"),
        c(
            "CORS: another origin is not allowed",
            cors,
            get("reviews", "/api").with("Origin", "https://evil.example.com"),
            o -> !o.cors().originAllowed(),
            "not allowed"),
        c(
            "CORS: no policy on the other routes",
            cors,
            get("reviews", "/other").with("Origin", "https://shop.example.com"),
            o -> o.cors() == null,
            "no CORS"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("actions")
  void aRouteDoesWhatTheConfigurationSays(
      String name, String yaml, Call call, Predicate<Outcome> expect, String says) {
    SimulationTest.check(
        name, SimulationTest.run(yaml, call, SimulationMesh.PRODUCTPAGE), expect, says);
  }
}
