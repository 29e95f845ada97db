package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Converts HTTPRoute and GRPCRoute rules into Istio HTTP routes. */
final class HttpRules {
  /** A converted rule (null on a hard error) and the problem found, if any. */
  record Converted(ObjectNode route, Problem problem) {}

  private final Backends backends;

  HttpRules(Backends backends) {
    this.backends = backends;
  }

  /** One Istio route per match of each rule (a rule without matches gives one). */
  List<Converted> convert(JsonNode route, boolean grpc, boolean enforceGrants) {
    List<Converted> out = new ArrayList<>();
    List<JsonNode> rules = Nodes.list(route, "spec", "rules");
    for (int n = 0; n < rules.size(); n++) {
      JsonNode rule = rules.get(n);
      List<JsonNode> matches = Nodes.list(rule, "matches");
      if (matches.isEmpty()) {
        matches.add(null);
      }
      for (JsonNode m : matches) {
        out.add(rule(route, rule, m, n, grpc, enforceGrants));
      }
    }
    return out;
  }

  private Converted rule(
      JsonNode obj, JsonNode r, JsonNode match, int pos, boolean grpc, boolean enforceGrants) {
    RouteKind kind = grpc ? RouteKind.GRPC : RouteKind.HTTP;
    String ns = Nodes.namespace(obj);
    ObjectNode vs = Nodes.object();
    vs.put("name", Nodes.textOr(r, ns + "." + Nodes.name(obj) + "." + pos, "name"));
    if (match != null) {
      ObjectNode m = vs.putArray("match").addObject();
      try {
        if (grpc) {
          grpcMatch(match, m);
        } else {
          httpMatch(match, m);
        }
      } catch (IllegalArgumentException e) {
        return new Converted(null, new Problem("InvalidConfiguration", e.getMessage()));
      }
    }
    Problem mirrorError = null;
    for (JsonNode f : Nodes.list(r, "filters")) {
      String type = Nodes.textOr(f, "", "type");
      switch (type) {
        case "RequestHeaderModifier", "ResponseHeaderModifier" -> {
          String field =
              type.equals("RequestHeaderModifier")
                  ? "requestHeaderModifier"
                  : "responseHeaderModifier";
          Problem p =
              headers(f.get(field), vs, type.startsWith("Request") ? "request" : "response");
          if (p != null) {
            return new Converted(null, p);
          }
        }
        case "RequestRedirect" -> {
          if (grpc) {
            return unsupported(type);
          }
          vs.set("redirect", Filters.redirect(f.get("requestRedirect")));
        }
        case "RequestMirror" -> {
          JsonNode mirror = f.get("requestMirror");
          if (mirror == null) {
            continue;
          }
          Backends.Dest d = backends.build(mirror.path("backendRef"), ns, enforceGrants, kind);
          if (d.problem() != null) {
            if (grpc) {
              return new Converted(null, d.problem());
            }
            mirrorError = d.problem();
          } else {
            ObjectNode mp = vs.withArray("mirrors").addObject();
            mp.set("destination", d.destination());
            Filters.mirrorPercent(mirror, mp);
          }
        }
        case "URLRewrite" -> {
          if (grpc) {
            return unsupported(type);
          }
          ObjectNode rw = Filters.rewrite(f.get("urlRewrite"));
          if (rw != null) {
            vs.set("rewrite", rw);
          }
        }
        case "CORS" -> {
          if (grpc) {
            return unsupported(type);
          }
          vs.set("corsPolicy", Filters.cors(f.get("cors")));
        }
        default -> {
          return unsupported(type);
        }
      }
    }
    if (!grpc) {
      Filters.retriesAndTimeouts(r, vs);
    }
    List<JsonNode> refs = Nodes.list(r, "backendRefs");
    int sum = 0;
    for (JsonNode b : refs) {
      sum += b.path("weight").asInt(1);
    }
    if (sum == 0 && !vs.has("redirect")) {
      vs.putObject("directResponse").put("status", 500);
      return new Converted(vs, mirrorError);
    }
    if (!r.has("backendRefs") || r.get("backendRefs").isNull()) {
      return new Converted(vs, mirrorError);
    }
    List<JsonNode> action = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    for (JsonNode b : refs) {
      int w = b.path("weight").asInt(1);
      if (w != 0) {
        action.add(b);
        weights.add(w);
      }
    }
    if (weights.size() == 1) {
      weights.set(0, 0);
    }
    Problem invalid = null;
    ArrayNode dests = vs.putArray("route");
    for (int i = 0; i < action.size(); i++) {
      JsonNode b = action.get(i);
      Backends.Dest d = backends.build(b, ns, enforceGrants, kind);
      if (d.problem() != null) {
        if (!Backends.invalidBackend(d.problem())) {
          return new Converted(null, d.problem());
        }
        invalid = d.problem();
      }
      ObjectNode rd = dests.addObject();
      rd.set("destination", d.destination() == null ? Nodes.object() : d.destination());
      if (weights.get(i) != 0) {
        rd.put("weight", weights.get(i));
      }
      for (JsonNode f : Nodes.list(b, "filters")) {
        String type = Nodes.textOr(f, "", "type");
        if (type.equals("RequestHeaderModifier") || type.equals("ResponseHeaderModifier")) {
          String field =
              type.equals("RequestHeaderModifier")
                  ? "requestHeaderModifier"
                  : "responseHeaderModifier";
          Problem p =
              headers(f.get(field), rd, type.startsWith("Request") ? "request" : "response");
          if (p != null) {
            return new Converted(null, p);
          }
        } else {
          return unsupported(type);
        }
      }
    }
    return new Converted(vs, ListenerTls.join(invalid, mirrorError));
  }

  private static Converted unsupported(String type) {
    return new Converted(
        null, new Problem("InvalidFilter", String.format("unsupported filter type \"%s\"", type)));
  }

  private static Problem headers(JsonNode filter, ObjectNode target, String which) {
    if (filter == null || filter.isNull()) {
      return null;
    }
    List<JsonNode> all = new ArrayList<>(Nodes.list(filter, "set"));
    all.addAll(Nodes.list(filter, "add"));
    for (JsonNode h : all) {
      for (char ch : Nodes.textOr(h, "", "value").toCharArray()) {
        if (!(ch == 0x09 || (ch >= 0x20 && ch != 0x7F))) {
          return new Problem(
              "InvalidFilter",
              String.format(
                  "header \"%s\" value contains invalid characters", Nodes.textOr(h, "", "name")));
        }
      }
    }
    ObjectNode ops = target.with("headers").putObject(which);
    putMap(ops, "add", Nodes.list(filter, "add"));
    if (filter.has("remove")) {
      ops.set("remove", filter.get("remove").deepCopy());
    }
    putMap(ops, "set", Nodes.list(filter, "set"));
    return null;
  }

  private static void putMap(ObjectNode ops, String field, List<JsonNode> headers) {
    if (headers.isEmpty()) {
      return;
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (JsonNode h : headers) {
      m.putIfAbsent(
          Nodes.textOr(h, "", "name").toLowerCase(Locale.ROOT), Nodes.textOr(h, "", "value"));
    }
    ObjectNode o = ops.putObject(field);
    m.forEach(o::put);
  }

  private static void httpMatch(JsonNode match, ObjectNode m) {
    String type = Nodes.textOr(match, "PathPrefix", "path", "type");
    String value = Nodes.textOr(match, "/", "path", "value");
    switch (type) {
      case "PathPrefix" -> {
        if (!value.equals("/") && value.endsWith("/")) {
          value = value.substring(0, value.length() - 1);
        }
        m.putObject("uri").put("prefix", value);
      }
      case "Exact" -> m.putObject("uri").put("exact", value);
      case "RegularExpression" -> m.putObject("uri").put("regex", value);
      default ->
          throw new IllegalArgumentException(
              String.format("unknown type: \"%s\" is not supported Path match type", type));
    }
    stringMatches(match, "headers", m, "headers", "HeaderMatch");
    stringMatches(match, "queryParams", m, "queryParams", "QueryParams");
    if (Nodes.has(match, "method")) {
      m.putObject("method").put("exact", Nodes.text(match, "method"));
    }
  }

  private static void stringMatches(
      JsonNode match, String field, ObjectNode m, String out, String what) {
    List<JsonNode> items = Nodes.list(match, field);
    if (items.isEmpty()) {
      return;
    }
    ObjectNode o = m.putObject(out);
    for (JsonNode h : items) {
      String type = Nodes.textOr(h, "Exact", "type");
      String k = type.equals("Exact") ? "exact" : type.equals("RegularExpression") ? "regex" : null;
      if (k == null) {
        throw new IllegalArgumentException(
            String.format("unknown type: \"%s\" is not supported %s type", type, what));
      }
      o.putObject(Nodes.textOr(h, "", "name")).put(k, Nodes.textOr(h, "", "value"));
    }
  }

  private static void grpcMatch(JsonNode match, ObjectNode m) {
    JsonNode method = match.get("method");
    if (method != null && !method.isNull()) {
      String type = Nodes.textOr(method, "Exact", "type");
      String svc = Nodes.text(method, "service");
      String meth = Nodes.text(method, "method");
      if (svc == null && meth == null) {
        throw new IllegalArgumentException("gRPC match must have method or service defined");
      }
      ObjectNode uri = m.putObject("uri");
      if (type.equals("Exact")) {
        if (meth == null) {
          uri.put("prefix", "/" + svc + "/");
        } else if (svc == null) {
          uri.put("regex", "/[^/]+/" + meth);
        } else {
          uri.put("exact", "/" + svc + "/" + meth);
        }
      } else if (type.equals("RegularExpression")) {
        uri.put(
            "regex",
            meth == null
                ? "/" + svc + "/.+"
                : svc == null ? "/[^/]+/" + meth : "/" + svc + "/" + meth);
      } else {
        throw new IllegalArgumentException(
            String.format("unknown type: \"%s\" is not supported Path match type", type));
      }
    }
    stringMatches(match, "headers", m, "headers", "HeaderMatch");
  }
}
