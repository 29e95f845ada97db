package dev.isthmus.controlplane.xds;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import dev.isthmus.controlplane.model.Durations;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicyUnmatchedPreflights;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyBytes;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyString;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPDirectResponse;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortGrpcStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectDerivePort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectPort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectRedirectPortSelection;
import io.fabric8.istio.api.api.networking.v1alpha3.Headers;
import io.fabric8.istio.api.api.networking.v1alpha3.HeadersHeaderOperations;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code RoutePolicies} translates the per-route parts of a VirtualService {@code HTTPRoute} that
 * are not the destination: header operations, redirects, direct responses, fault injection and CORS
 * policies, with Istio's defaults (redirect code 301, default ports dropped from redirects, CORS
 * filter enabled at 100%, unmatched preflights forwarded unless {@code IGNORE}).
 */
final class RoutePolicies {
  static final String FAULT_FILTER = "envoy.filters.http.fault";
  static final String CORS_FILTER = "envoy.filters.http.cors";

  private RoutePolicies() {}

  /** Header operations of a route or destination, and the authority they set (or empty). */
  record HeaderOps(
      List<HeaderValueOption> requestAdd,
      List<String> requestRemove,
      List<HeaderValueOption> responseAdd,
      List<String> responseRemove,
      String authority) {
    static final HeaderOps NONE = new HeaderOps(List.of(), List.of(), List.of(), List.of(), "");
  }

  static HeaderOps headers(Headers h) {
    if (h == null) {
      return HeaderOps.NONE;
    }
    HeadersHeaderOperations req = h.getRequest();
    HeadersHeaderOperations resp = h.getResponse();
    List<HeaderValueOption> reqAdd = new ArrayList<>();
    String setAuthority = add(reqAdd, req == null ? null : req.getSet(), false);
    String addAuthority = add(reqAdd, req == null ? null : req.getAdd(), true);
    List<HeaderValueOption> respAdd = new ArrayList<>();
    add(respAdd, resp == null ? null : resp.getSet(), false);
    add(respAdd, resp == null ? null : resp.getAdd(), true);
    return new HeaderOps(
        reqAdd,
        dropInternal(req == null ? null : req.getRemove()),
        respAdd,
        dropInternal(resp == null ? null : resp.getRemove()),
        !setAuthority.isEmpty() ? setAuthority : addAuthority);
  }

  private static boolean internal(String key) {
    return key.startsWith(":") || key.equalsIgnoreCase("host");
  }

  private static List<String> dropInternal(List<String> keys) {
    return keys == null ? List.of() : keys.stream().filter(k -> !internal(k)).toList();
  }

  /** Adds the headers sorted by name; returns the authority they set (Envoy rewrites it). */
  private static String add(List<HeaderValueOption> out, Map<String, String> m, boolean append) {
    if (m == null) {
      return "";
    }
    String authority = "";
    for (var e : new TreeMap<>(m).entrySet()) {
      if (e.getKey().equalsIgnoreCase(":authority") || e.getKey().equalsIgnoreCase("host")) {
        authority = e.getValue();
      }
      if (internal(e.getKey())) {
        continue;
      }
      out.add(
          HeaderValueOption.newBuilder()
              .setHeader(HeaderValue.newBuilder().setKey(e.getKey()).setValue(e.getValue()))
              .setAppendAction(
                  append
                      ? HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
                      : HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
              .build());
    }
    return authority;
  }

  static FractionalPercent fraction(double percent) {
    return FractionalPercent.newBuilder()
        .setNumerator((int) Math.round(percent * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  /** Redirect action; {@code tls} tells the scheme to assume when only a port is given. */
  static RedirectAction redirect(HTTPRedirect rd, int listenPort, boolean tls) {
    RedirectAction.Builder b = RedirectAction.newBuilder();
    if (rd.getUri() != null) {
      b.setPathRedirect(rd.getUri());
    }
    if (rd.getAuthority() != null) {
      b.setHostRedirect(rd.getAuthority());
    }
    if (rd.getScheme() != null) {
      b.setSchemeRedirect(rd.getScheme());
    }
    if (rd.getRedirectPort() != null) {
      int port = 0;
      if (rd.getRedirectPort() instanceof HTTPRedirectPort p && p.getPort() != null) {
        port = p.getPort().intValue();
      } else if (rd.getRedirectPort() instanceof HTTPRedirectDerivePort d
          && d.getDerivePort() == HTTPRedirectRedirectPortSelection.FROM_REQUEST_PORT) {
        // Routes are built per listener port, so "the request's port" is that port.
        port = listenPort;
      }
      String scheme = rd.getScheme() != null ? rd.getScheme() : tls ? "https" : "http";
      boolean defaultPort =
          (port == 80 && scheme.equals("http")) || (port == 443 && scheme.equals("https"));
      if (port != 0 && !defaultPort) {
        b.setPortRedirect(port);
      }
    }
    int code = rd.getRedirectCode() == null ? 301 : rd.getRedirectCode().intValue();
    b.setResponseCode(
        switch (code) {
          case 302 -> RedirectAction.RedirectResponseCode.FOUND;
          case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
          case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
          case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
          default -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
        });
    return b.build();
  }

  static DirectResponseAction directResponse(HTTPDirectResponse d) {
    DirectResponseAction.Builder b =
        DirectResponseAction.newBuilder()
            .setStatus(d.getStatus() == null ? 200 : d.getStatus().intValue());
    if (d.getBody() != null) {
      if (d.getBody().getSpecifier() instanceof HTTPBodyString s && s.getString() != null) {
        b.setBody(DataSource.newBuilder().setInlineString(s.getString()));
      } else if (d.getBody().getSpecifier() instanceof HTTPBodyBytes by && by.getBytes() != null) {
        // The API carries bytes base64-encoded, as protobuf JSON does.
        b.setBody(
            DataSource.newBuilder()
                .setInlineBytes(ByteString.copyFrom(Base64.getDecoder().decode(by.getBytes()))));
      }
    }
    return b.build();
  }

  static CorsPolicy cors(io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicy in) {
    CorsPolicy.Builder b =
        CorsPolicy.newBuilder()
            .setForwardNotMatchingPreflights(
                BoolValue.of(in.getUnmatchedPreflights() != CorsPolicyUnmatchedPreflights.IGNORE))
            .setFilterEnabled(
                RuntimeFractionalPercent.newBuilder()
                    .setDefaultValue(
                        FractionalPercent.newBuilder()
                            .setNumerator(100)
                            .setDenominator(FractionalPercent.DenominatorType.HUNDRED)));
    if (in.getAllowOrigins() != null && !in.getAllowOrigins().isEmpty()) {
      in.getAllowOrigins().forEach(o -> b.addAllowOriginStringMatch(HttpMatches.string(o)));
    } else if (in.getAllowOrigin() != null) {
      in.getAllowOrigin()
          .forEach(
              o ->
                  b.addAllowOriginStringMatch(
                      io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder().setExact(o)));
    }
    if (in.getAllowCredentials() != null) {
      b.setAllowCredentials(BoolValue.of(in.getAllowCredentials()));
    }
    if (in.getAllowHeaders() != null) {
      b.setAllowHeaders(String.join(",", in.getAllowHeaders()));
    }
    if (in.getAllowMethods() != null) {
      b.setAllowMethods(String.join(",", in.getAllowMethods()));
    }
    if (in.getExposeHeaders() != null) {
      b.setExposeHeaders(String.join(",", in.getExposeHeaders()));
    }
    if (in.getMaxAge() != null) {
      b.setMaxAge(Long.toString(Durations.parse(in.getMaxAge()).getSeconds()));
    }
    return b.build();
  }

  static HTTPFault fault(HTTPFaultInjection in) {
    HTTPFault.Builder f = HTTPFault.newBuilder();
    var delay = in.getDelay();
    if (delay != null && delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fd) {
      double pct =
          delay.getPercentage() != null && delay.getPercentage().getValue() != null
              ? delay.getPercentage().getValue()
              : delay.getPercent() != null ? delay.getPercent() : 100.0;
      f.setDelay(
          FaultDelay.newBuilder()
              .setFixedDelay(Durations.parse(fd.getFixedDelay()))
              .setPercentage(fraction(pct)));
    }
    var abort = in.getAbort();
    if (abort != null) {
      double pct =
          abort.getPercentage() != null && abort.getPercentage().getValue() != null
              ? abort.getPercentage().getValue()
              : 100.0;
      FaultAbort.Builder ab = FaultAbort.newBuilder().setPercentage(fraction(pct));
      if (abort.getErrorType() instanceof HTTPFaultInjectionAbortHttpStatus hs) {
        ab.setHttpStatus(hs.getHttpStatus());
      } else if (abort.getErrorType() instanceof HTTPFaultInjectionAbortGrpcStatus gs) {
        ab.setGrpcStatus(grpcCode(gs.getGrpcStatus()));
      }
      f.setAbort(ab);
    }
    return f.build();
  }

  private static int grpcCode(String status) {
    try {
      return io.grpc.Status.Code.valueOf(status).value();
    } catch (IllegalArgumentException | NullPointerException e) {
      return io.grpc.Status.Code.UNKNOWN.value();
    }
  }
}
