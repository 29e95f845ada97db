package dev.isthmus.controlplane.authz;

import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ExtAuthzConfigs} turns the mesh's ext_authz providers into Envoy ext_authz filter
 * configurations. A provider with errors is kept with its errors, so that a CUSTOM policy naming it
 * is denied rather than silently let through.
 */
final class ExtAuthzConfigs {
  static final String MATCH_PREFIX = "istio-ext-authz";
  static final String SHADOW_PREFIX = "istio_ext_authz_";
  static final String EFFECTIVE_POLICY_ID = "shadow_effective_policy_id";

  /** One resolved provider: its HTTP filter, its TCP filter (gRPC only), or what is wrong. */
  record Built(
      ExtAuthz http,
      io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz tcp,
      List<String> errors) {}

  private ExtAuthzConfigs() {}

  static Map<String, Built> resolve(AuthzOptions o) {
    Map<String, Built> out = new LinkedHashMap<>();
    List<ExtensionProvider> providers = o.extensionProviders();
    for (int i = 0; i < providers.size(); i++) {
      ExtensionProvider p = providers.get(i);
      List<String> errs = new ArrayList<>();
      String name = p.name() == null ? "" : p.name();
      if (name.isEmpty()) {
        errs.add("extension provider name must not be empty, found empty at index: " + i);
      } else {
        if (out.containsKey(name)) {
          errs.add("extension provider name must be unique, found duplicate: " + name);
        }
        String bad = badName(name);
        if (bad != null) {
          errs.add("invalid provider name \"" + name + "\": " + bad);
        }
      }
      Built b = build(p, o.services(), errs);
      out.put(name, b);
    }
    return out;
  }

  /** Provider names become metadata keys and policy-name prefixes: keep them DNS-label shaped. */
  private static String badName(String name) {
    if (name.length() > 63) {
      return "provider name too long (max 63 characters): " + name.length();
    }
    if (!name.matches("[a-z0-9-]+")) {
      return "only lowercase letters, digits, and hyphens allowed";
    }
    if (name.startsWith("-") || name.endsWith("-")) {
      return "provider name cannot start or end with hyphen";
    }
    return null;
  }

  private static Built build(
      ExtensionProvider p, Map<String, Set<String>> services, List<String> errs) {
    int before = errs.size();
    if (p.port() < 1 || p.port() > 65535) {
      errs.add("port must be in the range [1, 65535], found: " + p.port());
    }
    String hostname = lookup(p.service(), services, errs);
    HttpStatus status = status(p.statusOnError(), errs);
    if (!p.grpc()) {
      if (!p.pathPrefix().isEmpty() && !p.pathPrefix().startsWith("/")) {
        errs.add("pathPrefix must begin with `/`, found: \"" + p.pathPrefix() + "\"");
      }
      noLoneWildcard("includeRequestHeadersInCheck", p.includeRequestHeadersInCheck(), errs);
      noLoneWildcard("includeHeadersInCheck", p.includeHeadersInCheck(), errs);
      noLoneWildcard("headersToDownstreamOnDeny", p.headersToDownstreamOnDeny(), errs);
      noLoneWildcard("headersToDownstreamOnAllow", p.headersToDownstreamOnAllow(), errs);
      noLoneWildcard("headersToUpstreamOnAllow", p.headersToUpstreamOnAllow(), errs);
    }
    if (errs.size() > before) {
      return new Built(null, null, List.copyOf(errs));
    }
    String cluster = "outbound|" + p.port() + "||" + hostname;
    com.google.protobuf.Duration timeout = timeout(p.timeout());
    MetadataMatcher enabled = enabledBy("envoy.filters.http.rbac", MATCH_PREFIX);
    ExtAuthz.Builder http =
        ExtAuthz.newBuilder()
            .setFailureModeAllow(p.failOpen())
            .setTransportApiVersion(ApiVersion.V3)
            .setFilterEnabledMetadata(enabled);
    if (status != null) {
      http.setStatusOnError(status);
    }
    if (p.includeRequestBodyInCheck() != null) {
      ExtensionProvider.RequestBody rb = p.includeRequestBodyInCheck();
      http.setWithRequestBody(
          BufferSettings.newBuilder()
              .setMaxRequestBytes(rb.maxRequestBytes())
              .setAllowPartialMessage(rb.allowPartialMessage())
              .setPackAsBytes(rb.packAsBytes()));
    }
    if (p.grpc()) {
      GrpcService grpc =
          GrpcService.newBuilder()
              .setEnvoyGrpc(
                  GrpcService.EnvoyGrpc.newBuilder().setClusterName(cluster).setAuthority(hostname))
              .setTimeout(timeout)
              .build();
      http.setGrpcService(grpc);
      var tcp =
          io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.newBuilder()
              .setStatPrefix("tcp.")
              .setFailureModeAllow(p.failOpen())
              .setTransportApiVersion(ApiVersion.V3)
              .setGrpcService(grpc)
              .setFilterEnabledMetadata(enabledBy("envoy.filters.network.rbac", MATCH_PREFIX))
              .build();
      return new Built(http.build(), tcp, List.of());
    }
    HttpService.Builder service =
        HttpService.newBuilder()
            .setPathPrefix(p.pathPrefix())
            // Envoy requires a URI but only uses the cluster.
            .setServerUri(
                HttpUri.newBuilder()
                    .setUri("http://" + hostname)
                    .setCluster(cluster)
                    .setTimeout(timeout));
    List<String> allowed = p.includeRequestHeadersInCheck();
    if (allowed.isEmpty()) {
      allowed = p.includeHeadersInCheck();
    }
    if (!p.includeAdditionalHeadersInCheck().isEmpty()) {
      AuthorizationRequest.Builder req = AuthorizationRequest.newBuilder();
      p.includeAdditionalHeadersInCheck()
          .forEach((k, v) -> req.addHeadersToAdd(HeaderValue.newBuilder().setKey(k).setValue(v)));
      service.setAuthorizationRequest(req);
    }
    if (!p.headersToUpstreamOnAllow().isEmpty()
        || !p.headersToDownstreamOnDeny().isEmpty()
        || !p.headersToDownstreamOnAllow().isEmpty()) {
      AuthorizationResponse.Builder resp = AuthorizationResponse.newBuilder();
      headers(p.headersToUpstreamOnAllow(), resp::setAllowedUpstreamHeaders);
      headers(p.headersToDownstreamOnDeny(), resp::setAllowedClientHeaders);
      headers(p.headersToDownstreamOnAllow(), resp::setAllowedClientHeadersOnSuccess);
      service.setAuthorizationResponse(resp);
    }
    http.setHttpService(service);
    headers(allowed, http::setAllowedHeaders);
    return new Built(http.build(), null, List.of());
  }

  private static void headers(
      List<String> names, java.util.function.Consumer<ListStringMatcher> set) {
    if (names.isEmpty()) {
      return;
    }
    ListStringMatcher.Builder l = ListStringMatcher.newBuilder();
    for (String h : names) {
      StringMatcher.Builder m = StringMatcher.newBuilder().setIgnoreCase(true);
      if (h.startsWith("*")) {
        m.setSuffix(h.substring(1));
      } else if (h.endsWith("*")) {
        m.setPrefix(h.substring(0, h.length() - 1));
      } else {
        m.setExact(h);
      }
      l.addPatterns(m);
    }
    set.accept(l.build());
  }

  /** The ext_authz filter runs only when the RBAC shadow rules named a policy of this prefix. */
  static MetadataMatcher enabledBy(String rbacFilter, String prefix) {
    return Matchers.metadata(
        rbacFilter,
        List.of(SHADOW_PREFIX + EFFECTIVE_POLICY_ID),
        Matchers.value(Matchers.prefix(prefix, false)));
  }

  private static String lookup(
      String service, Map<String, Set<String>> services, List<String> errs) {
    if (service.isEmpty()) {
      errs.add("service must not be empty");
      return "";
    }
    String[] parts = service.split("/", -1);
    if (parts.length == 2) {
      Set<String> ns = services == null ? null : services.get(parts[1]);
      if (services == null || (ns != null && ns.contains(parts[0]))) {
        return parts[1];
      }
    } else {
      Set<String> ns = services == null ? null : services.get(service);
      if (services == null || (ns != null && ns.size() == 1)) {
        return service;
      }
      if (ns != null && ns.size() > 1) {
        errs.add(
            "found "
                + service
                + " in multiple namespaces "
                + ns
                + ", specify the namespace explicitly in the format of <Namespace>/<Hostname>");
        return "";
      }
    }
    errs.add("could not find service " + service + " in Istio service registry");
    return "";
  }

  private static HttpStatus status(String s, List<String> errs) {
    if (s.isEmpty()) {
      return null;
    }
    StatusCode code = null;
    try {
      code = StatusCode.forNumber(Integer.parseInt(s));
    } catch (NumberFormatException e) {
      errs.add("invalid statusOnError \"" + s + "\": not a number");
      return null;
    }
    if (code == null) {
      errs.add("unsupported statusOnError " + s);
      return null;
    }
    return HttpStatus.newBuilder().setCode(code).build();
  }

  private static void noLoneWildcard(String field, List<String> values, List<String> errs) {
    if (values.contains("*")) {
      errs.add(
          "a single wildcard (\"*\") is not supported, change it to either prefix or suffix match: "
              + field);
    }
  }

  private static com.google.protobuf.Duration timeout(Duration d) {
    if (d == null) {
      return com.google.protobuf.Duration.newBuilder().setSeconds(600).build();
    }
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }
}
