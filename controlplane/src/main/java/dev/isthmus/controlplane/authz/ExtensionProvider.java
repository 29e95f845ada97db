package dev.isthmus.controlplane.authz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ExtensionProvider} is one meshConfig {@code extensionProviders} entry of kind {@code
 * envoyExtAuthzHttp} or {@code envoyExtAuthzGrpc}, the external authorizer a CUSTOM policy names.
 *
 * @param name the name CUSTOM policies refer to
 * @param grpc true for {@code envoyExtAuthzGrpc}, false for {@code envoyExtAuthzHttp}
 * @param service {@code hostname} or {@code namespace/hostname} of the authorizer
 * @param port the authorizer's port (kept wide so that an out-of-range value can be reported)
 * @param timeout the check timeout, null for the default of 600s
 * @param pathPrefix HTTP only: prefix prepended to the checked path
 * @param failOpen allow the request when the authorizer cannot be reached
 * @param statusOnError HTTP status returned when the authorizer fails, empty for Envoy's default
 * @param includeRequestHeadersInCheck HTTP only: request headers sent to the authorizer
 * @param includeHeadersInCheck HTTP only: deprecated spelling of the previous field
 * @param includeAdditionalHeadersInCheck HTTP only: headers added to the check request
 * @param includeRequestBodyInCheck whether and how the body is sent, null for not at all
 * @param headersToUpstreamOnAllow HTTP only: authorizer headers forwarded upstream on allow
 * @param headersToDownstreamOnDeny HTTP only: authorizer headers returned to the client on deny
 * @param headersToDownstreamOnAllow HTTP only: authorizer headers returned to the client on allow
 */
public record ExtensionProvider(
    String name,
    boolean grpc,
    String service,
    long port,
    Duration timeout,
    String pathPrefix,
    boolean failOpen,
    String statusOnError,
    List<String> includeRequestHeadersInCheck,
    List<String> includeHeadersInCheck,
    Map<String, String> includeAdditionalHeadersInCheck,
    RequestBody includeRequestBodyInCheck,
    List<String> headersToUpstreamOnAllow,
    List<String> headersToDownstreamOnDeny,
    List<String> headersToDownstreamOnAllow) {

  /**
   * {@code RequestBody} says how much of the request body the authorizer sees.
   *
   * @param maxRequestBytes the most bytes buffered
   * @param allowPartialMessage send what was buffered when the limit is hit instead of 413
   * @param packAsBytes send the body as raw bytes rather than UTF-8 text
   */
  public record RequestBody(
      int maxRequestBytes, boolean allowPartialMessage, boolean packAsBytes) {}

  public ExtensionProvider {
    service = service == null ? "" : service;
    pathPrefix = pathPrefix == null ? "" : pathPrefix;
    statusOnError = statusOnError == null ? "" : statusOnError;
    includeRequestHeadersInCheck = copy(includeRequestHeadersInCheck);
    includeHeadersInCheck = copy(includeHeadersInCheck);
    // Sorted so that the generated headers_to_add is stable.
    includeAdditionalHeadersInCheck =
        includeAdditionalHeadersInCheck == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new TreeMap<>(includeAdditionalHeadersInCheck));
    headersToUpstreamOnAllow = copy(headersToUpstreamOnAllow);
    headersToDownstreamOnDeny = copy(headersToDownstreamOnDeny);
    headersToDownstreamOnAllow = copy(headersToDownstreamOnAllow);
  }

  private static List<String> copy(List<String> l) {
    return l == null ? List.of() : List.copyOf(l);
  }

  /** {@code grpc} is a gRPC provider with the fields that kind has. */
  public static ExtensionProvider grpc(
      String name,
      String service,
      long port,
      Duration timeout,
      boolean failOpen,
      String statusOnError,
      RequestBody body) {
    return new ExtensionProvider(
        name,
        true,
        service,
        port,
        timeout,
        "",
        failOpen,
        statusOnError,
        null,
        null,
        null,
        body,
        null,
        null,
        null);
  }

  /**
   * {@code fromMeshConfig} reads the ext_authz providers from a meshConfig tree (the object that
   * holds {@code extensionProviders}); providers of other kinds (tracing, logging) are ignored.
   */
  public static List<ExtensionProvider> fromMeshConfig(JsonNode meshConfig) {
    List<ExtensionProvider> out = new ArrayList<>();
    if (meshConfig == null) {
      return out;
    }
    for (JsonNode p : meshConfig.path("extensionProviders")) {
      String name = p.path("name").asText("");
      JsonNode http = p.get("envoyExtAuthzHttp");
      JsonNode grpc = p.get("envoyExtAuthzGrpc");
      if (http != null) {
        out.add(read(name, false, http));
      } else if (grpc != null) {
        out.add(read(name, true, grpc));
      }
    }
    return out;
  }

  /** {@code fromMeshConfig} for a meshConfig already read into maps and lists. */
  public static List<ExtensionProvider> fromMeshConfig(Map<String, ?> meshConfig) {
    return fromMeshConfig((JsonNode) new ObjectMapper().valueToTree(meshConfig));
  }

  private static ExtensionProvider read(String name, boolean grpc, JsonNode n) {
    JsonNode body = n.get("includeRequestBodyInCheck");
    RequestBody rb =
        body == null || body.isNull()
            ? null
            : new RequestBody(
                body.path("maxRequestBytes").asInt(0),
                body.path("allowPartialMessage").asBoolean(false),
                body.path("packAsBytes").asBoolean(false));
    Map<String, String> additional = new TreeMap<>();
    n.path("includeAdditionalHeadersInCheck")
        .fields()
        .forEachRemaining(e -> additional.put(e.getKey(), e.getValue().asText()));
    return new ExtensionProvider(
        name,
        grpc,
        n.path("service").asText(""),
        n.path("port").asLong(0),
        n.hasNonNull("timeout") ? parseDuration(n.get("timeout").asText()) : null,
        n.path("pathPrefix").asText(""),
        n.path("failOpen").asBoolean(false),
        n.path("statusOnError").asText(""),
        strings(n.get("includeRequestHeadersInCheck")),
        strings(n.get("includeHeadersInCheck")),
        additional,
        rb,
        strings(n.get("headersToUpstreamOnAllow")),
        strings(n.get("headersToDownstreamOnDeny")),
        strings(n.get("headersToDownstreamOnAllow")));
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n != null) {
      n.forEach(e -> out.add(e.asText()));
    }
    return out;
  }

  private static final Pattern UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|us|µs|ns|h|m|s)");

  /**
   * Reads {@code 1.5s} (the protobuf JSON form) as well as {@code 1m30s} and {@code 500ms} (the
   * forms people write in YAML).
   */
  static Duration parseDuration(String s) {
    Matcher m = UNIT.matcher(s.trim());
    long nanos = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        throw new IllegalArgumentException("invalid duration " + s);
      }
      end = m.end();
      double v = Double.parseDouble(m.group(1));
      double unit =
          switch (m.group(2)) {
            case "h" -> 3600e9;
            case "m" -> 60e9;
            case "s" -> 1e9;
            case "ms" -> 1e6;
            case "us", "µs" -> 1e3;
            default -> 1;
          };
      nanos += Math.round(v * unit);
    }
    if (end == 0 || end != s.trim().length()) {
      throw new IllegalArgumentException("invalid duration " + s);
    }
    return Duration.ofNanos(nanos);
  }
}
