package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** HTTPRoute filters and rule options in their Istio form. */
final class Filters {
  private Filters() {}

  static ObjectNode redirect(JsonNode f) {
    ObjectNode r = Nodes.object();
    if (f == null) {
      return r;
    }
    if (f.has("statusCode")) {
      r.put("redirectCode", f.get("statusCode").asInt());
    }
    if (Nodes.has(f, "hostname")) {
      r.put("authority", Nodes.text(f, "hostname"));
    }
    if (Nodes.has(f, "scheme")) {
      r.put("scheme", Nodes.text(f, "scheme"));
    }
    if (f.has("port")) {
      r.put("port", f.get("port").asInt());
    } else {
      r.put("derivePort", Nodes.has(f, "scheme") ? "FROM_PROTOCOL_DEFAULT" : "FROM_REQUEST_PORT");
    }
    String type = Nodes.text(f, "path", "type");
    if ("ReplaceFullPath".equals(type)) {
      r.put("uri", Nodes.textOr(f, "", "path", "replaceFullPath"));
    } else if ("ReplacePrefixMatch".equals(type)) {
      r.put("prefixRewrite", Nodes.textOr(f, "", "path", "replacePrefixMatch"));
    }
    return r;
  }

  static void mirrorPercent(JsonNode mirror, ObjectNode out) {
    if (Nodes.has(mirror, "fraction")) {
      double num = Nodes.at(mirror, "fraction", "numerator").asDouble();
      double den = Nodes.at(mirror, "fraction", "denominator").asDouble(100);
      percent(out, 100 * num / den);
    } else if (Nodes.has(mirror, "percent")) {
      percent(out, mirror.get("percent").asDouble());
    }
  }

  /** A whole percentage is written as an integer, as protobuf JSON writes a whole double. */
  private static void percent(ObjectNode out, double v) {
    ObjectNode p = out.putObject("percentage");
    if (v == Math.rint(v) && Math.abs(v) <= Integer.MAX_VALUE) {
      p.put("value", (int) v);
    } else {
      p.put("value", v);
    }
  }

  static ObjectNode rewrite(JsonNode f) {
    if (f == null || f.isNull()) {
      return null;
    }
    ObjectNode r = Nodes.object();
    String type = Nodes.text(f, "path", "type");
    if ("ReplacePrefixMatch".equals(type)) {
      String uri = Nodes.textOr(f, "", "path", "replacePrefixMatch");
      if (uri.endsWith("/")) {
        uri = uri.substring(0, uri.length() - 1);
      }
      r.put("uri", uri.isEmpty() ? "/" : uri);
    } else if ("ReplaceFullPath".equals(type)) {
      ObjectNode rr = r.putObject("uriRegexRewrite");
      rr.put("match", "/.*");
      rr.put("rewrite", Nodes.textOr(f, "", "path", "replaceFullPath"));
    }
    if (Nodes.has(f, "hostname")) {
      r.put("authority", Nodes.text(f, "hostname"));
    }
    return r.isEmpty() ? null : r;
  }

  static ObjectNode cors(JsonNode f) {
    ObjectNode c = Nodes.object();
    if (f == null || f.isNull()) {
      return c;
    }
    ArrayNode origins = Nodes.array();
    for (JsonNode o : Nodes.list(f, "allowOrigins")) {
      String s = o.asText();
      if (s.isEmpty()) {
        continue;
      }
      if (s.equals("*")) {
        origins.addObject().put("regex", "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s?#]+$");
      } else if (!s.contains("*")) {
        origins.addObject().put("exact", s);
      } else if (s.indexOf('*') == s.length() - 1) {
        origins.addObject().put("prefix", s.substring(0, s.length() - 1));
      } else {
        List<String> parts = new ArrayList<>();
        for (String p : s.split("\\*", -1)) {
          parts.add(quoteMeta(p));
        }
        origins.addObject().put("regex", "^" + String.join(".*", parts) + "$");
      }
    }
    if (!origins.isEmpty()) {
      c.set("allowOrigins", origins);
    }
    if (f.path("allowCredentials").asBoolean(false)) {
      c.put("allowCredentials", true);
    }
    for (String field : List.of("allowMethods", "allowHeaders", "exposeHeaders")) {
      if (!Nodes.list(f, field).isEmpty()) {
        c.set(field, f.get(field).deepCopy());
      }
    }
    if (f.path("maxAge").asInt() > 0) {
      c.put("maxAge", f.get("maxAge").asInt() + "s");
    }
    c.put("unmatchedPreflights", "IGNORE");
    return c;
  }

  /** Escapes regular expression metacharacters with backslashes (RE2 syntax). */
  static String quoteMeta(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  static void retriesAndTimeouts(JsonNode r, ObjectNode vs) {
    JsonNode retry = r.get("retry");
    if (retry != null && !retry.isNull()) {
      List<String> on =
          new ArrayList<>(List.of("connect-failure", "refused-stream", "unavailable", "cancelled"));
      Nodes.list(retry, "codes").forEach(c -> on.add(c.asText()));
      ObjectNode rt = vs.putObject("retries");
      int attempts = retry.path("attempts").asInt(2);
      rt.put("attempts", attempts);
      if (attempts != 0) {
        rt.put("retryOn", String.join(",", on));
      }
      if (Nodes.has(retry, "backoff")) {
        String backoff = Durations.canonical(Nodes.text(retry, "backoff"));
        if (backoff != null) {
          rt.put("backoff", backoff);
        }
      }
    }
    String request = Durations.canonical(Nodes.text(r, "timeouts", "request"));
    if (request != null && !isZero(request)) {
      vs.put("timeout", request);
    }
    String backend = Durations.canonical(Nodes.text(r, "timeouts", "backendRequest"));
    if (backend != null && !isZero(backend)) {
      if (vs.has("retries")) {
        ((ObjectNode) vs.get("retries")).put("perTryTimeout", backend);
      } else {
        vs.put("timeout", backend);
      }
    }
  }

  private static boolean isZero(String d) {
    return d.equals("0s");
  }
}
