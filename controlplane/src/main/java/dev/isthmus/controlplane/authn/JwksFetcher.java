package dev.isthmus.controlplane.authn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One fetch of a key set for {@link JwksResolver}: OpenID discovery when only an issuer is known,
 * the GET of the key set, and the checks that keep whatever a URL returns out of proxy
 * configuration unless it is a key set.
 */
final class JwksFetcher {
  static final String DISCOVERY_SUFFIX = "/.well-known/openid-configuration";

  /** A key set larger than this is refused rather than inlined into every proxy's config. */
  static final int MAX_BODY_BYTES = 1 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  // Built on the first fetch and dropped on close: a JDK 17 client cannot be closed, and its
  // selector thread lives as long as the client is reachable, so a control plane without remote
  // key sets starts none and a stopped one keeps none.
  private HttpClient http;
  private boolean closed;

  private synchronized HttpClient http() throws IOException {
    if (closed) {
      throw new IOException("closed");
    }
    if (http == null) {
      // Redirects are not followed: the target of a redirect would escape the address check
      // below. The connect timeout is only a backstop; each request is bounded by its rule's
      // timeout.
      http =
          HttpClient.newBuilder()
              .followRedirects(HttpClient.Redirect.NEVER)
              .connectTimeout(Duration.ofSeconds(10))
              .build();
    }
    return http;
  }

  /** Lets go of the HTTP client; later fetches fail. */
  synchronized void close() {
    closed = true;
    http = null;
  }

  /** Fetches the key set at {@code jwksUri}, or, when it is empty, the issuer's by discovery. */
  String fetch(String issuer, String jwksUri, Duration timeout)
      throws IOException, InterruptedException {
    String uri = jwksUri.isEmpty() ? discover(issuer, timeout) : jwksUri;
    String body = get(uri, timeout);
    requireKeySet(body);
    return body;
  }

  private String discover(String issuer, Duration timeout)
      throws IOException, InterruptedException {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    String url = base + DISCOVERY_SUFFIX;
    JsonNode doc;
    try {
      doc = JSON.readTree(get(url, timeout));
    } catch (JsonProcessingException e) {
      throw new IOException(url + ": not JSON: " + e.getOriginalMessage(), e);
    }
    JsonNode jwksUri = doc == null ? null : doc.get("jwks_uri");
    if (jwksUri == null || !jwksUri.isTextual() || jwksUri.asText().isEmpty()) {
      throw new IOException(url + ": jwks_uri: expected a URL string, got " + jwksUri);
    }
    return jwksUri.asText();
  }

  private String get(String url, Duration timeout) throws IOException, InterruptedException {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IOException(url + ": not a URI: " + e.getMessage(), e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new IOException(url + ": expected an http or https URL with a host");
    }
    refuseMetadataAddresses(uri.getHost());
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    HttpResponse<InputStream> response =
        http().send(request, HttpResponse.BodyHandlers.ofInputStream());
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      throw new IOException(url + ": response larger than " + MAX_BODY_BYTES + " bytes");
    }
    if (response.statusCode() < 200 || response.statusCode() >= 300) {
      throw new IOException(url + ": status " + response.statusCode());
    }
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * A RequestAuthentication author chooses the URL, and the fetched body is echoed into proxy
   * configuration; instance metadata endpoints must not be readable that way.
   */
  static void refuseMetadataAddresses(String host) throws IOException {
    for (InetAddress address : InetAddress.getAllByName(host)) {
      if (isMetadataAddress(address)) {
        throw new IOException(
            host
                + " resolves to "
                + address.getHostAddress()
                + ", a link-local or cloud metadata address");
      }
    }
  }

  static boolean isMetadataAddress(InetAddress address) {
    if (address.isLinkLocalAddress()) {
      return true;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet6Address) {
      // fd00:ec2::/32, the IPv6 instance metadata range of one cloud.
      return (b[0] & 0xff) == 0xfd && b[1] == 0 && (b[2] & 0xff) == 0x0e && (b[3] & 0xff) == 0xc2;
    }
    // 100.100.100.200, the metadata address of another.
    return b.length == 4
        && (b[0] & 0xff) == 100
        && (b[1] & 0xff) == 100
        && (b[2] & 0xff) == 100
        && (b[3] & 0xff) == 200;
  }

  /** The body must be a JWKS (an object with a {@code keys} array) before it reaches a proxy. */
  static void requireKeySet(String body) throws IOException {
    JsonNode doc;
    try {
      doc = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IOException("not a JWKS: not JSON: " + e.getOriginalMessage(), e);
    }
    if (doc == null || !doc.isObject() || !doc.path("keys").isArray()) {
      throw new IOException("not a JWKS: expected an object with a \"keys\" array");
    }
  }

  /** Two key sets are the same when they hold the same keys, in any order. */
  static boolean sameKeys(String a, String b) {
    if (a.equals(b)) {
      return true;
    }
    try {
      return normalized(JSON.readTree(a)).equals(normalized(JSON.readTree(b)));
    } catch (IOException e) {
      return false;
    }
  }

  private static JsonNode normalized(JsonNode doc) {
    JsonNode keys = doc.path("keys");
    if (!keys.isArray()) {
      return doc;
    }
    List<JsonNode> sorted = new ArrayList<>();
    keys.forEach(sorted::add);
    sorted.sort(
        Comparator.comparing((JsonNode k) -> k.path("kid").asText(""))
            .thenComparing(JsonNode::toString));
    JsonNode copy = doc.deepCopy();
    ArrayNode array = ((ObjectNode) copy).putArray("keys");
    sorted.forEach(array::add);
    return copy;
  }
}
