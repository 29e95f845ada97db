package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.ArrayList;
import java.util.List;

/** Converts TCPRoute and TLSRoute rules into Istio TCP and TLS routes. */
final class L4Rules {
  private final Backends backends;

  L4Rules(Backends backends) {
    this.backends = backends;
  }

  List<HttpRules.Converted> convert(JsonNode route, boolean tls, boolean enforceGrants) {
    List<HttpRules.Converted> out = new ArrayList<>();
    RouteKind kind = tls ? RouteKind.TLS : RouteKind.TCP;
    for (JsonNode r : Nodes.list(route, "spec", "rules")) {
      ObjectNode res = Nodes.object();
      if (tls) {
        List<String> sni = new ArrayList<>();
        Nodes.list(route, "spec", "hostnames").forEach(h -> sni.add(h.asText()));
        res.putArray("match")
            .addObject()
            .set("sniHosts", Nodes.array(sni.isEmpty() ? List.of("*") : sni));
      }
      List<JsonNode> refs = Nodes.list(r, "backendRefs");
      int sum = 0;
      for (JsonNode b : refs) {
        sum += b.path("weight").asInt(1);
      }
      if (sum == 0) {
        ObjectNode zero = Nodes.object();
        ObjectNode d = zero.putObject("destination");
        d.put("host", "internal.cluster.local");
        d.put("subset", "zero-weight");
        d.putObject("port").put("number", 65535);
        ObjectNode z = Nodes.object();
        z.putArray("route").add(zero);
        out.add(new HttpRules.Converted(z, null));
        continue;
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
      boolean hard = false;
      ArrayNode dests = res.putArray("route");
      for (int i = 0; i < action.size(); i++) {
        Backends.Dest d =
            backends.build(action.get(i), Nodes.namespace(route), enforceGrants, kind);
        if (d.problem() != null) {
          if (!Backends.invalidBackend(d.problem())) {
            out.add(new HttpRules.Converted(null, d.problem()));
            hard = true;
            break;
          }
          invalid = d.problem();
        }
        ObjectNode rd = dests.addObject();
        rd.set("destination", d.destination() == null ? Nodes.object() : d.destination());
        if (weights.get(i) != 0) {
          rd.put("weight", weights.get(i));
        }
      }
      if (!hard) {
        out.add(new HttpRules.Converted(res, invalid));
      }
    }
    return out;
  }

  /** Mesh routes bound through a port: each match (or a new one) gets the port. */
  static List<ObjectNode> withPort(
      List<ObjectNode> routes, int port, String kind, List<String> hosts) {
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode r : routes) {
      ObjectNode c = r.deepCopy();
      if (kind.equals("TLSRoute")) {
        JsonNode m = c.path("match");
        if (m.size() == 1
            && m.get(0).path("sniHosts").size() == 1
            && m.get(0).path("sniHosts").get(0).asText().equals("*")) {
          ((ObjectNode) m.get(0)).set("sniHosts", Nodes.array(hosts));
        }
        if (port != 0) {
          m.forEach(x -> ((ObjectNode) x).put("port", port));
        }
      } else {
        if (c.path("match").isEmpty()) {
          c.putArray("match").addObject();
        }
        c.get("match").forEach(x -> ((ObjectNode) x).put("port", port));
      }
      out.add(c);
    }
    return out;
  }

  /** TLS routes narrowed to the SNI hosts a listener hostname admits. */
  static List<ObjectNode> constrain(List<ObjectNode> routes, String listenerHost) {
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode r : routes) {
      ObjectNode c = r.deepCopy();
      boolean hasHosts = false;
      for (JsonNode m : c.path("match")) {
        List<String> kept = new ArrayList<>();
        for (JsonNode h : m.path("sniHosts")) {
          String i = Hosts.intersection(h.asText(), listenerHost);
          if (i != null && !kept.contains(i)) {
            kept.add(i);
          }
        }
        ((ObjectNode) m).set("sniHosts", Nodes.array(kept));
        hasHosts |= !kept.isEmpty();
      }
      if (hasHosts || c.path("match").isEmpty()) {
        out.add(c);
      }
    }
    return out;
  }

  /** For a mesh TLS route with several SNI hosts, keeps those matching the service host. */
  static List<ObjectNode> forHost(List<ObjectNode> routes, String host) {
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode r : routes) {
      JsonNode m = r.path("match");
      if (m.size() == 1 && m.get(0).path("sniHosts").size() > 1) {
        ObjectNode c = r.deepCopy();
        List<String> kept = new ArrayList<>();
        m.get(0)
            .path("sniHosts")
            .forEach(
                h -> {
                  if (Hosts.matches(host, h.asText())) {
                    kept.add(h.asText());
                  }
                });
        ((ObjectNode) c.get("match").get(0)).set("sniHosts", Nodes.array(kept));
        out.add(c);
      } else {
        out.add(r);
      }
    }
    return out;
  }
}
