package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes of all four kinds: binds each to its parents, converts its rules for gateway and mesh
 * parents, writes its status, and derives VirtualServices (HTTP ones merged by gateway and host).
 */
final class Routes {
  /** The converted rules for one kind of parent and the last problem found. */
  record Rules(List<ObjectNode> routes, Problem problem) {}

  /** A VirtualService before HTTP merging, with its merge key. */
  record Keyed(String key, ObjectNode vs, JsonNode route) {}

  private final Inputs in;
  private final RouteBinding binding;
  private final HttpRules http;
  private final L4Rules l4;
  private final Status status;

  /** Attached route count by {@code namespace/name} of the parent and listener name. */
  final Map<String, Integer> attached = new HashMap<>();

  final List<Keyed> httpVs = new ArrayList<>();
  final List<ObjectNode> virtualServices = new ArrayList<>();

  Routes(Inputs in, RouteBinding binding, Backends backends, Status status) {
    this.in = in;
    this.binding = binding;
    this.http = new HttpRules(backends);
    this.l4 = new L4Rules(backends);
    this.status = status;
  }

  void run() {
    for (String kind : List.of("TCPRoute", "TLSRoute", "HTTPRoute", "GRPCRoute")) {
      for (JsonNode r : in.routes.get(kind).values()) {
        route(r, kind);
      }
    }
    virtualServices.addAll(HttpMerge.merge(httpVs));
  }

  private Rules rules(JsonNode route, String kind, boolean mesh) {
    List<ObjectNode> out = new ArrayList<>();
    Problem problem = null;
    List<? extends Object> converted =
        switch (kind) {
          case "HTTPRoute" -> http.convert(route, false, !mesh);
          case "GRPCRoute" -> http.convert(route, true, !mesh);
          default -> l4.convert(route, kind.equals("TLSRoute"), !mesh);
        };
    for (Object o : converted) {
      HttpRules.Converted c = (HttpRules.Converted) o;
      if (c.route() == null) {
        return new Rules(List.of(), c.problem());
      }
      if (c.problem() != null) {
        problem = c.problem();
      }
      out.add(c.route());
    }
    return new Rules(out, problem);
  }

  private void route(JsonNode route, String kind) {
    List<RouteBinding.Ref> refs = binding.refs(route, RouteKind.of(kind));
    boolean needMesh = refs.stream().anyMatch(RouteBinding.Ref::mesh);
    boolean needGw = refs.stream().anyMatch(r -> !r.mesh());
    Rules mesh = needMesh ? rules(route, kind, true) : new Rules(List.of(), null);
    Rules gw = needGw ? rules(route, kind, false) : new Rules(List.of(), null);
    ObjectNode st = GatewayClasses.existing(route);
    st.set(
        "parents",
        RouteBinding.status(
            route, refs, gw.problem(), mesh.problem(), Nodes.generation(route), status.now));
    status.put(route, st);
    List<RouteBinding.Ref> accepted = RouteBinding.accepted(refs);
    for (RouteBinding.Ref r : accepted) {
      RouteKind pk = r.parent().key().kind();
      if (pk.equals(RouteKind.GATEWAY) || pk.equals(RouteKind.LISTENER_SET)) {
        attached.merge(
            r.parent().key().namespace()
                + "/"
                + r.parent().key().name()
                + "/"
                + r.parent().sectionName(),
            1,
            Integer::sum);
      }
    }
    int count = 0;
    for (RouteBinding.Ref parent : accepted) {
      List<ObjectNode> routes = parent.mesh() ? mesh.routes() : gw.routes();
      List<String> hosts = hostnames(route);
      String routeKey = parent.parent().internalName();
      JsonNode ref = parent.original();
      boolean hasPort = ref.has("port") && !ref.get("port").isNull();
      if (parent.mesh()) {
        String refNs = Nodes.textOr(ref, Nodes.namespace(route), "namespace");
        if (parent.kind().equals(RouteKind.SERVICE_ENTRY)) {
          JsonNode se = in.serviceEntries.get(refNs + "/" + Nodes.text(ref, "name"));
          hosts = new ArrayList<>();
          for (JsonNode h : Nodes.list(se, "spec", "hosts")) {
            hosts.add(h.asText());
          }
        } else {
          hosts = List.of(Nodes.text(ref, "name") + "." + refNs + ".svc." + in.domainSuffix);
        }
        routeKey = Nodes.namespace(route);
        if (hasPort) {
          routes = L4Rules.withPort(routes, ref.get("port").asInt(), kind, hosts);
          routeKey += "/" + ref.get("port").asInt();
        } else if (kind.equals("TLSRoute")) {
          routes = L4Rules.withPort(routes, 0, kind, hosts);
        }
      } else if (kind.equals("TLSRoute") && !parent.parent().originalHostname().isEmpty()) {
        String lh = parent.parent().originalHostname();
        List<String> narrowed = new ArrayList<>();
        for (String h : hosts) {
          String i = Hosts.intersection(h, lh);
          if (i != null && !narrowed.contains(i)) {
            narrowed.add(i);
          }
        }
        hosts = narrowed;
        routes = L4Rules.constrain(routes, lh);
      } else if (kind.equals("TCPRoute")) {
        hosts = List.of("*");
      }
      boolean httpLike = kind.equals("HTTPRoute") || kind.equals("GRPCRoute");
      if (httpLike && routes.isEmpty()) {
        continue;
      }
      for (String h : hosts) {
        if (httpLike && !isolationAllows(parent, h)) {
          continue;
        }
        String suffix =
            switch (kind) {
              case "TCPRoute" -> "~tcp~" + count;
              case "TLSRoute" -> "~tls~" + count;
              default -> "~" + count;
            };
        ObjectNode vs =
            virtualService(route, Nodes.name(route) + suffix + "~" + Gateways.AUTOGEN, h, parent);
        ArrayNode rs =
            vs.with("spec").putArray(httpLike ? "http" : kind.equals("TCPRoute") ? "tcp" : "tls");
        List<ObjectNode> forHost =
            parent.mesh() && kind.equals("TLSRoute") ? L4Rules.forHost(routes, h) : routes;
        forHost.forEach(x -> rs.add(x.deepCopy()));
        if (httpLike) {
          httpVs.add(new Keyed(routeKey + "/" + h, vs, route));
        } else {
          virtualServices.add(vs);
        }
        count++;
      }
    }
  }

  private static List<String> hostnames(JsonNode route) {
    List<String> out = new ArrayList<>();
    Nodes.list(route, "spec", "hostnames").forEach(h -> out.add(h.asText()));
    return out.isEmpty() ? new ArrayList<>(List.of("*")) : out;
  }

  private ObjectNode virtualService(
      JsonNode route, String name, String host, RouteBinding.Ref parent) {
    ObjectNode vs = Nodes.object();
    vs.put("apiVersion", "networking.istio.io/v1");
    vs.put("kind", "VirtualService");
    ObjectNode meta = vs.putObject("metadata");
    Map<String, String> ann = new LinkedHashMap<>();
    ann.put(
        "internal.istio.io/parents",
        Nodes.text(route, "kind") + "/" + Nodes.name(route) + "." + Nodes.namespace(route));
    ann.put("internal.istio.io/route-semantics", "gateway");
    ObjectNode a = meta.putObject("annotations");
    ann.forEach(a::put);
    meta.put("name", name);
    meta.put("namespace", Nodes.namespace(route));
    if (Nodes.has(route, "metadata", "creationTimestamp")) {
      meta.put("creationTimestamp", Nodes.text(route, "metadata", "creationTimestamp"));
    }
    ObjectNode spec = vs.putObject("spec");
    spec.putArray("gateways").add(parent.parent().internalName());
    spec.putArray("hosts").add(host);
    return vs;
  }

  /** Whether a route host on a wildcard listener is not better served by a more exact one. */
  private static boolean isolationAllows(RouteBinding.Ref r, String routeHost) {
    String ours = r.parent().originalHostname();
    if (!ours.isEmpty() && !Hosts.wild(ours)) {
      return true;
    }
    if (!ours.isEmpty() && !Hosts.matches(routeHost, ours)) {
      return false;
    }
    for (String check : r.banned()) {
      if (ours.length() > check.length()) {
        continue;
      }
      if (Hosts.subsetOf(routeHost, check)) {
        return false;
      }
    }
    return true;
  }
}
