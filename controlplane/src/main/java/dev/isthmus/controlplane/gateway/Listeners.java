package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds the Istio server of one Gateway or ListenerSet listener and reports its status. */
final class Listeners {
  private static final Set<String> SUPPORTED = Set.of("HTTP", "HTTPS", "TLS", "TCP", "HBONE");

  /** The server (null when none is generated) and whether the listener is programmed. */
  record Outcome(ObjectNode server, boolean ok) {}

  private final Inputs in;
  private final ListenerTls tls;
  private final String now;

  Listeners(Inputs in, ListenerTls tls, String now) {
    this.in = in;
    this.tls = tls;
    this.now = now;
  }

  Outcome build(
      JsonNode owner,
      boolean listenerSet,
      List<ObjectNode> status,
      JsonNode gatewaySpec,
      JsonNode l,
      int index,
      String controller,
      String portError) {
    Conditions c = new Conditions();
    c.put("Accepted", "Accepted", "No errors found");
    c.put("Programmed", "Programmed", "No errors found");
    c.put("Conflicted", "NoConflicts", "No errors found").negative();
    c.put("ResolvedRefs", "ResolvedRefs", "No errors found");
    int port = l.path("port").asInt();
    boolean ok = true;
    ListenerTls.Result t =
        tls.build(frontendTls(port, gatewaySpec), l.get("tls"), owner, autoPassthrough(owner, l));
    if (t.problem() != null) {
      c.fail("ResolvedRefs", t.problem());
      c.fail("Programmed", "Invalid", "Bad TLS configuration");
      String r = t.problem().reason();
      if (r.equals("InvalidCACertificateRef")
          || r.equals("InvalidCACertificateKind")
          || r.equals("RefNotPermitted")) {
        c.fail("Accepted", "NoValidCACertificate", t.problem().message());
      }
      ok = false;
    }
    List<String> hosts = hostnames(Nodes.namespace(owner), l);
    if (portError != null) {
      c.fail("Accepted", "UnsupportedProtocol", portError);
      ok = false;
    }
    String protocol = Nodes.textOr(l, "", "protocol");
    String protocolError = protocolError(controller, protocol);
    if (protocolError != null) {
      c.fail("Accepted", "UnsupportedProtocol", protocolError);
      ok = false;
    }
    if (controller.equals(GatewayClasses.MESH_CONTROLLER)
        && (port != 15008 || !protocol.equals("HBONE"))) {
      c.fail(
          "Accepted",
          "UnsupportedProtocol",
          "Expected a single listener on port 15008 with protocol \"HBONE\"");
    }
    if (controller.equals(GatewayClasses.EASTWEST_CONTROLLER) && unexpectedEastWest(l, port)) {
      c.fail(
          "Accepted",
          "UnsupportedProtocol",
          "East-west gateway listeners must be either port 15008 with protocol \"HBONE\" and"
              + " TLS.Mode == Terminate, or TLS with TLS.Mode == Passthrough");
    }
    ObjectNode server = Nodes.object();
    ObjectNode p = server.putObject("port");
    p.put("number", port);
    p.put("protocol", protocolError == null ? protocol : "");
    p.put("name", "default");
    server.set("hosts", Nodes.array(hosts));
    if (t.tls() != null) {
      server.set("tls", t.tls());
    }
    if (t.tls() == null && (protocol.equals("HTTPS") || protocol.equals("TLS"))) {
      server = null;
      if (listenerSet) {
        ok = false;
        c.fail(
            "Accepted",
            "UnsupportedProtocol",
            "protocol is " + protocol + " but no TLS section is defined");
        c.fail("Programmed", "Invalid", "Bad TLS configuration");
      }
    }
    report(index, l, owner, status, c);
    return new Outcome(server, ok);
  }

  /** Marks a listener that lost to an earlier one on the same Gateway. */
  void conflict(int index, JsonNode l, JsonNode owner, List<ObjectNode> status, String reason) {
    String msg = "Listener has a conflict with another listener attached to the same Gateway";
    Conditions c = new Conditions();
    c.put("Accepted", reason, msg).error = new Conditions.Problem(reason, msg);
    c.put("Programmed", reason, msg).error = new Conditions.Problem(reason, msg);
    c.put("Conflicted", reason, msg);
    report(index, l, owner, status, c);
  }

  private void report(
      int index, JsonNode l, JsonNode owner, List<ObjectNode> status, Conditions c) {
    while (index >= status.size()) {
      status.add(Nodes.object());
    }
    JsonNode existing = status.get(index).get("conditions");
    List<RouteKind> allowedKinds = new ArrayList<>();
    boolean valid = supportedKinds(l, allowedKinds);
    if (!valid) {
      c.put("ResolvedRefs", "InvalidRouteKinds", "Invalid route kinds").negative();
    }
    ObjectNode s = Nodes.object();
    s.put("name", Nodes.textOr(l, "", "name"));
    s.put("attachedRoutes", 0);
    ArrayNode kinds = s.putArray("supportedKinds");
    for (RouteKind k : allowedKinds) {
      kinds.addObject().put("group", k.group()).put("kind", k.kind());
    }
    s.set("conditions", c.apply(existing, Nodes.generation(owner), now));
    status.set(index, s);
  }

  /** The route kinds a listener admits; false when allowedRoutes names kinds it cannot serve. */
  static boolean supportedKinds(JsonNode l, List<RouteKind> out) {
    List<RouteKind> supported = new ArrayList<>();
    switch (Nodes.textOr(l, "", "protocol")) {
      case "HTTP", "HTTPS" -> {
        supported.add(RouteKind.HTTP);
        supported.add(RouteKind.GRPC);
      }
      case "TCP" -> supported.add(RouteKind.TCP);
      case "TLS" -> {
        supported.add(RouteKind.TLS);
        if ("Terminate".equals(Nodes.text(l, "tls", "mode"))) {
          supported.add(RouteKind.TCP);
        }
      }
      default -> {}
    }
    List<JsonNode> allowed = Nodes.list(l, "allowedRoutes", "kinds");
    if (allowed.isEmpty()) {
      out.addAll(supported);
      return true;
    }
    for (RouteKind s : supported) {
      for (JsonNode k : allowed) {
        if (RouteKind.normalize(Nodes.text(k, "group"), Nodes.text(k, "kind"), RouteKind.of(""))
            .equals(s)) {
          out.add(s);
          break;
        }
      }
    }
    return out.size() == allowed.size();
  }

  static String protocolError(String controller, String p) {
    switch (p) {
      case "HTTP", "HTTPS", "TLS", "TCP" -> {
        return null;
      }
      case "HBONE" -> {
        if (!controller.equals(GatewayClasses.MESH_CONTROLLER)
            && !controller.equals(GatewayClasses.EASTWEST_CONTROLLER)) {
          return "protocol \"HBONE\" is only supported for waypoint proxies";
        }
        return null;
      }
      default -> {
        String up = p.toUpperCase(java.util.Locale.ROOT);
        if (SUPPORTED.contains(up)) {
          return String.format(
              "protocol \"%s\" is unsupported. hint: \"%s\" (uppercase) may be supported", p, up);
        }
        return String.format("protocol \"%s\" is unsupported", p);
      }
    }
  }

  private static boolean unexpectedEastWest(JsonNode l, int port) {
    String protocol = Nodes.textOr(l, "", "protocol");
    String mode = Nodes.text(l, "tls", "mode");
    if (port == 15008) {
      return !protocol.equals("HBONE") || !Nodes.has(l, "tls") || !"Terminate".equals(mode);
    }
    return !(protocol.equals("TLS") && "Passthrough".equals(mode));
  }

  private static JsonNode frontendTls(int port, JsonNode gatewaySpec) {
    JsonNode f = Nodes.at(gatewaySpec, "tls", "frontend");
    if (f.isMissingNode() || f.isNull()) {
      return null;
    }
    for (JsonNode pp : Nodes.list(f, "perPort")) {
      if (pp.path("port").asInt() == port) {
        return pp.get("tls");
      }
    }
    return f.get("default");
  }

  private static boolean autoPassthrough(JsonNode owner, JsonNode l) {
    if (!Nodes.has(l, "tls")) {
      return false;
    }
    if ("auto-passthrough".equals(Nodes.text(l, "tls", "options", ListenerTls.LISTENER_MODE))) {
      return true;
    }
    Map<String, String> labels = Nodes.strings(owner, "metadata", "labels");
    if (!labels.containsKey("topology.istio.io/network")) {
      return false;
    }
    String expected = labels.getOrDefault("networking.istio.io/gatewayPort", "15443");
    return String.valueOf(l.path("port").asInt()).equals(expected);
  }

  /** The {@code namespace/hostname} entries of a listener's Istio server. */
  List<String> hostnames(String localNs, JsonNode l) {
    String hostname = Nodes.textOr(l, "*", "hostname");
    List<String> out = new ArrayList<>();
    for (String ns : Namespaces.allowed(in, localNs, l.get("allowedRoutes"))) {
      if (!ns.isEmpty()) {
        out.add(ns + "/" + hostname);
      }
    }
    if (out.isEmpty()) {
      return List.of("~/" + hostname);
    }
    return out;
  }
}
