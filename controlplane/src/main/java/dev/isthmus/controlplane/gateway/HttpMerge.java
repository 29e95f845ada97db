package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the HTTP VirtualServices of all routes sharing a gateway (or mesh namespace and port) and
 * host into one, oldest route first, with rules ordered as the Gateway API requires.
 */
final class HttpMerge {
  private HttpMerge() {}

  static List<ObjectNode> merge(List<Routes.Keyed> all) {
    Map<String, List<Routes.Keyed>> byKey = new LinkedHashMap<>();
    all.forEach(k -> byKey.computeIfAbsent(k.key(), x -> new ArrayList<>()).add(k));
    List<ObjectNode> out = new ArrayList<>();
    for (Map.Entry<String, List<Routes.Keyed>> e : byKey.entrySet()) {
      List<Routes.Keyed> group = new ArrayList<>(e.getValue());
      group.sort(
          Comparator.comparing((Routes.Keyed k) -> created(k.vs()))
              .thenComparing(k -> Nodes.namespace(k.vs()))
              .thenComparing(k -> Nodes.name(k.vs())));
      ObjectNode base = group.get(0).vs().deepCopy();
      ArrayNode http = (ArrayNode) base.at("/spec/http");
      ObjectNode ann = (ObjectNode) base.at("/metadata/annotations");
      for (Routes.Keyed k : group.subList(1, group.size())) {
        k.vs().at("/spec/http").forEach(r -> http.add(r.deepCopy()));
        ann.put(
            "internal.istio.io/parents",
            ann.get("internal.istio.io/parents").asText()
                + ","
                + k.vs().at("/metadata/annotations/internal.istio.io~1parents").asText());
      }
      List<JsonNode> sorted = new ArrayList<>();
      http.forEach(sorted::add);
      sorted.sort(HttpMerge::compare);
      http.removeAll();
      sorted.forEach(http::add);
      ((ObjectNode) base.get("metadata")).put("name", e.getKey().replace('/', '~'));
      out.add(base);
    }
    return out;
  }

  private static String created(JsonNode o) {
    return Nodes.textOr(o, "", "metadata", "creationTimestamp");
  }

  /** Exact over prefix over regex, longer first, then method, headers, query parameters. */
  static int compare(JsonNode a, JsonNode b) {
    boolean am = a.path("match").isEmpty();
    boolean bm = b.path("match").isEmpty();
    if (am || bm) {
      return am == bm ? 0 : am ? 1 : -1;
    }
    JsonNode m1 = a.get("match").get(0);
    JsonNode m2 = b.get("match").get(0);
    int r1 = rank(m1);
    int r2 = rank(m2);
    if (r1 != r2) {
      return Integer.compare(r2, r1);
    }
    int l1 = length(m1);
    int l2 = length(m2);
    if (l1 != l2) {
      return Integer.compare(l2, l1);
    }
    boolean meth1 = m1.has("method");
    boolean meth2 = m2.has("method");
    if (meth1 != meth2) {
      return meth1 ? -1 : 1;
    }
    int h1 = m1.path("headers").size();
    int h2 = m2.path("headers").size();
    if (h1 != h2) {
      return Integer.compare(h2, h1);
    }
    return Integer.compare(m2.path("queryParams").size(), m1.path("queryParams").size());
  }

  private static int rank(JsonNode m) {
    JsonNode uri = m.path("uri");
    if (uri.has("exact")) {
      return 3;
    }
    if (uri.has("prefix")) {
      return 2;
    }
    return uri.has("regex") ? 1 : -1;
  }

  private static int length(JsonNode m) {
    JsonNode uri = m.path("uri");
    for (String k : List.of("prefix", "exact", "regex")) {
      if (uri.has(k)) {
        return uri.get(k).asText().length();
      }
    }
    return 0;
  }
}
