package dev.isthmus.controlplane.xds;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import java.util.TreeMap;

/**
 * {@code HttpMatches} turns VirtualService {@code HTTPMatchRequest}s into Envoy route matches the
 * way Istio does: uri exact/prefix/regex, headers and withoutHeaders sorted by name, then method,
 * authority and scheme as pseudo-headers, then query parameters; a regex of {@code *} means
 * "present".
 */
final class HttpMatches {
  private HttpMatches() {}

  static RouteMatch match(HTTPMatchRequest m) {
    RouteMatch.Builder b = RouteMatch.newBuilder();
    if (m == null || m.getUri() == null) {
      b.setPrefix("/");
    } else {
      var t = m.getUri().getMatchType();
      if (t instanceof StringMatchExact e) {
        b.setPath(e.getExact());
      } else if (t instanceof StringMatchPrefix p) {
        b.setPrefix(p.getPrefix());
      } else if (t instanceof StringMatchRegex re) {
        b.setSafeRegex(RegexMatcher.newBuilder().setRegex(re.getRegex()));
      } else {
        b.setPrefix("/");
      }
    }
    if (m == null) {
      return b.build();
    }
    b.setCaseSensitive(BoolValue.of(!Boolean.TRUE.equals(m.getIgnoreUriCase())));
    // Istio sorts header matchers by name, withoutHeaders included.
    TreeMap<String, HeaderMatcher> headers = new TreeMap<>();
    if (m.getHeaders() != null) {
      m.getHeaders().forEach((k, v) -> headers.put(k + "\0", header(k, v, false)));
    }
    if (m.getWithoutHeaders() != null) {
      m.getWithoutHeaders().forEach((k, v) -> headers.put(k + "\1", header(k, v, true)));
    }
    b.addAllHeaders(headers.values());
    if (m.getMethod() != null) {
      b.addHeaders(header(":method", m.getMethod(), false));
    }
    if (m.getAuthority() != null) {
      b.addHeaders(header(":authority", m.getAuthority(), false));
    }
    if (m.getScheme() != null) {
      b.addHeaders(header(":scheme", m.getScheme(), false));
    }
    if (m.getQueryParams() != null) {
      new TreeMap<>(m.getQueryParams())
          .forEach(
              (k, v) -> {
                QueryParameterMatcher.Builder q = QueryParameterMatcher.newBuilder().setName(k);
                if (presentMatch(v)) {
                  q.setPresentMatch(true);
                } else {
                  q.setStringMatch(string(v));
                }
                b.addQueryParameters(q);
              });
    }
    return b.build();
  }

  private static boolean presentMatch(StringMatch v) {
    return v == null
        || v.getMatchType() == null
        || (v.getMatchType() instanceof StringMatchRegex re && "*".equals(re.getRegex()));
  }

  private static HeaderMatcher header(String name, StringMatch v, boolean invert) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name).setInvertMatch(invert);
    if (presentMatch(v)) {
      h.setPresentMatch(true);
    } else {
      h.setStringMatch(string(v));
      if (invert) {
        // A request without the header must still match "withoutHeaders".
        h.setTreatMissingHeaderAsEmpty(true);
      }
    }
    return h.build();
  }

  static StringMatcher string(StringMatch v) {
    var t = v == null ? null : v.getMatchType();
    if (t instanceof StringMatchExact e) {
      return StringMatcher.newBuilder().setExact(e.getExact()).build();
    } else if (t instanceof StringMatchPrefix p) {
      return StringMatcher.newBuilder().setPrefix(p.getPrefix()).build();
    } else if (t instanceof StringMatchRegex re) {
      return StringMatcher.newBuilder()
          .setSafeRegex(RegexMatcher.newBuilder().setRegex(re.getRegex()))
          .build();
    }
    return StringMatcher.newBuilder().setPrefix("").build();
  }

  /**
   * Whether a route matches every request (prefix {@code /} or regex {@code *}/{@code .*}, no
   * header or query conditions): Istio stops translating a VirtualService after one and moves such
   * routes to the end when it merges VirtualServices on a gateway.
   */
  static boolean isCatchAll(Route r) {
    RouteMatch m = r.getMatch();
    boolean anyPath =
        switch (m.getPathSpecifierCase()) {
          case PREFIX -> m.getPrefix().equals("/");
          case PATH_SEPARATED_PREFIX -> m.getPathSeparatedPrefix().equals("/");
          case SAFE_REGEX ->
              m.getSafeRegex().getRegex().equals("*") || m.getSafeRegex().getRegex().equals(".*");
          default -> false;
        };
    return anyPath
        && m.getHeadersCount() == 0
        && m.getQueryParametersCount() == 0
        && m.getDynamicMetadataCount() == 0;
  }
}
