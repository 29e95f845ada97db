package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Backend policies: BackendTLSPolicy, XBackendTrafficPolicy and the TLS of XBackends become
 * DestinationRule settings per backend host (the oldest policy wins), and each policy gets an
 * ancestor status for the mesh and for the Gateways whose routes reach its backend.
 */
final class BackendPolicies {
  static final String IGNORE = "istio.io/ignore-policy-attachment";
  static final String MESH = GatewayClasses.MESH_CONTROLLER;

  /** One policy's settings for one backend host. */
  record Policy(
      String sourceKind,
      JsonNode source,
      String targetKind,
      String targetName,
      String host,
      String sectionName,
      Integer port,
      ObjectNode tls,
      ObjectNode loadBalancer,
      ObjectNode retryBudget) {}

  final List<Policy> policies = new ArrayList<>();
  private final Inputs in;
  private final Status status;
  private final PolicyAncestors.RouteAncestors ancestors;
  private final BackendTls tlsRefs;

  BackendPolicies(Inputs in, Status status) {
    this.in = in;
    this.status = status;
    this.ancestors = new PolicyAncestors.RouteAncestors(in);
    this.tlsRefs = new BackendTls(in);
  }

  void run() {
    in.trafficPolicies.values().forEach(this::traffic);
    in.tlsPolicies.values().forEach(this::tls);
    in.backends.values().forEach(this::backend);
  }

  private static boolean ignored(JsonNode p) {
    return "true".equalsIgnoreCase(Nodes.strings(p, "metadata", "annotations").get(IGNORE));
  }

  private void ignoredStatus(JsonNode p, boolean withSection) {
    Conditions c = new Conditions();
    c.put("Accepted", "Accepted", "Configuration is valid").error =
        new Problem("IgnoredByIstio", "Ignored by Istio due to annotation " + IGNORE + "=true");
    ObjectNode st = GatewayClasses.existing(p);
    List<ObjectNode> incoming = new ArrayList<>();
    for (JsonNode t : Nodes.list(p, "spec", "targetRefs")) {
      incoming.add(
          PolicyAncestors.ancestor(
              PolicyAncestors.targetRef(t, withSection), st, p, c, MESH, status.now));
    }
    st.set("ancestors", PolicyAncestors.merge(st.get("ancestors"), incoming, 16));
    status.put(p, st);
  }

  private void traffic(JsonNode p) {
    if (ignored(p)) {
      ignoredStatus(p, false);
      return;
    }
    ObjectNode st = GatewayClasses.existing(p);
    Conditions c = new Conditions();
    c.put("Accepted", "Accepted", "Configuration is valid");
    if (Nodes.has(p, "spec", "sessionPersistence")) {
      c.get("Accepted").message =
          "Configuration is valid, but Istio does not support the following fields:"
              + " sessionPersistence";
    }
    ObjectNode budget = null;
    JsonNode rc = Nodes.at(p, "spec", "retryConstraint");
    if (!rc.isMissingNode() && !rc.isNull()) {
      budget = Nodes.object();
      if (Nodes.has(rc, "budget", "percent")) {
        budget.set("percent", Nodes.at(rc, "budget", "percent").deepCopy());
      }
      String interval = Durations.canonical(Nodes.text(rc, "budget", "interval"));
      budget.put("budgetInterval", interval == null ? "10s" : interval);
      budget.put(
          "minRetryConcurrency",
          Nodes.has(rc, "minRetryRate") ? Nodes.at(rc, "minRetryRate", "count").asInt() : 10);
    }
    List<ObjectNode> incoming = new ArrayList<>();
    for (JsonNode t : Nodes.list(p, "spec", "targetRefs")) {
      String name = Nodes.textOr(t, "", "name");
      RouteKind k =
          RouteKind.normalize(Nodes.text(t, "group"), Nodes.text(t, "kind"), new RouteKind("", ""));
      Problem err = tlsRefs.lookup(k, Nodes.namespace(p), name, Nodes.text(t, "kind"));
      if (err == null && !k.equals(RouteKind.SERVICE)) {
        err = new Problem("TargetNotFound", "unsupported reference kind: " + Nodes.text(t, "kind"));
      }
      if (err != null) {
        c.fail("Accepted", "TargetNotFound", "targetRefs invalid: " + err.message());
      } else {
        policies.add(
            new Policy(
                "XBackendTrafficPolicy",
                p,
                "Service",
                name,
                name + "." + Nodes.namespace(p) + ".svc." + in.domainSuffix,
                null,
                null,
                null,
                Nodes.object(),
                budget));
      }
      incoming.add(
          PolicyAncestors.ancestor(
              PolicyAncestors.targetRef(t, false), st, p, c, MESH, status.now));
    }
    st.set("ancestors", PolicyAncestors.merge(st.get("ancestors"), incoming, 16));
    status.put(p, st);
  }

  private void tls(JsonNode p) {
    if (ignored(p)) {
      ignoredStatus(p, true);
      return;
    }
    ObjectNode st = GatewayClasses.existing(p);
    Conditions c = new Conditions();
    c.put("Accepted", "Accepted", "Configuration is valid");
    c.put("ResolvedRefs", "ResolvedRefs", "Configuration is valid");
    JsonNode validation = Nodes.at(p, "spec", "validation");
    ObjectNode tls = tlsRefs.clientTls(validation, null, Nodes.namespace(p), c);
    List<ObjectNode> incoming = new ArrayList<>();
    TreeSet<String> gateways = new TreeSet<>();
    for (JsonNode t : Nodes.list(p, "spec", "targetRefs")) {
      String name = Nodes.textOr(t, "", "name");
      String section = Nodes.text(t, "sectionName");
      RouteKind k =
          RouteKind.normalize(Nodes.text(t, "group"), Nodes.text(t, "kind"), new RouteKind("", ""));
      Problem err = tlsRefs.lookup(k, Nodes.namespace(p), name, Nodes.text(t, "kind"));
      JsonNode target = null;
      if (err == null) {
        String key = Nodes.namespace(p) + "/" + name;
        if (k.equals(RouteKind.SERVICE) || k.equals(RouteKind.SERVICE_ENTRY)) {
          target = k.equals(RouteKind.SERVICE) ? in.services.get(key) : in.serviceEntries.get(key);
          if (section != null && !section.isEmpty() && !hasPort(target, section)) {
            err =
                new Problem(
                    "TargetNotFound",
                    String.format(
                        "sectionName \"%s\" does not exist in %s %s", section, k.kind(), key));
          }
        } else {
          err =
              new Problem("TargetNotFound", "unsupported reference kind: " + Nodes.text(t, "kind"));
        }
      }
      if (err != null) {
        c.fail("Accepted", "TargetNotFound", "targetRefs invalid: " + err.message());
      } else {
        List<String> hosts = new ArrayList<>();
        if (k.equals(RouteKind.SERVICE)) {
          hosts.add(name + "." + Nodes.namespace(p) + ".svc." + in.domainSuffix);
        } else {
          Nodes.list(target, "spec", "hosts").forEach(h -> hosts.add(h.asText()));
        }
        String winner = conflict(p, t);
        if (winner != null) {
          c.fail(
              "Accepted",
              "Conflicted",
              String.format(
                  "Conflicts with BackendTLSPolicy \"%s\" targeting the same backend", winner));
        } else {
          for (String h : hosts) {
            policies.add(
                new Policy(
                    "BackendTLSPolicy",
                    p,
                    k.kind(),
                    name,
                    h,
                    section == null || section.isEmpty() ? null : section,
                    null,
                    tls,
                    null,
                    null));
          }
        }
        gateways.addAll(ancestors.gatewaysOf(k.kind() + "/" + Nodes.namespace(p) + "/" + name));
      }
      incoming.add(
          PolicyAncestors.ancestor(PolicyAncestors.targetRef(t, true), st, p, c, MESH, status.now));
    }
    for (String g : gateways) {
      ObjectNode ref = Nodes.object();
      ref.put("group", Inputs.GW_GROUP);
      ref.put("kind", "Gateway");
      ref.put("name", g.substring(g.indexOf('/') + 1));
      incoming.add(
          PolicyAncestors.ancestor(ref, st, p, c, GatewayClasses.GATEWAY_CONTROLLER, status.now));
    }
    st.set("ancestors", PolicyAncestors.merge(st.get("ancestors"), incoming, 16));
    status.put(p, st);
  }

  private static boolean hasPort(JsonNode target, String name) {
    for (JsonNode port : Nodes.list(target, "spec", "ports")) {
      if (name.equals(Nodes.text(port, "name"))) {
        return true;
      }
    }
    return false;
  }

  /** The older (then alphabetically first) other policy with the same target, if any. */
  private String conflict(JsonNode p, JsonNode target) {
    String winner = null;
    for (JsonNode other : in.tlsPolicies.values()) {
      // Policies are told apart by uid, as the API server assigns it (objects without one are
      // indistinguishable and never conflict).
      boolean self =
          Nodes.textOr(other, "", "metadata", "uid").equals(Nodes.textOr(p, "", "metadata", "uid"));
      if (self || ignored(other) || !Nodes.namespace(other).equals(Nodes.namespace(p))) {
        continue;
      }
      boolean same = false;
      for (JsonNode t : Nodes.list(other, "spec", "targetRefs")) {
        same |=
            Nodes.textOr(t, "", "group").equals(Nodes.textOr(target, "", "group"))
                && Nodes.textOr(t, "", "kind").equals(Nodes.textOr(target, "", "kind"))
                && Nodes.textOr(t, "", "name").equals(Nodes.textOr(target, "", "name"))
                && Objects.equals(Nodes.text(t, "sectionName"), Nodes.text(target, "sectionName"));
      }
      if (!same) {
        continue;
      }
      int ts = created(other).compareTo(created(p));
      if (ts < 0 || (ts == 0 && Nodes.name(other).compareTo(Nodes.name(p)) < 0)) {
        return Nodes.name(other);
      }
    }
    return winner;
  }

  static String created(JsonNode o) {
    return Nodes.textOr(o, "", "metadata", "creationTimestamp");
  }

  private void backend(JsonNode b) {
    ObjectNode st = GatewayClasses.existing(b);
    Conditions c = new Conditions();
    c.put("Accepted", "Accepted", "Configuration is valid");
    c.put("ResolvedRefs", "ResolvedRefs", "Configuration is valid");
    String type = Nodes.textOr(b, "", "spec", "type");
    if (!type.equals("ExternalHostname") || !Nodes.has(b, "spec", "externalHostname")) {
      c.fail("Accepted", "Invalid", "unsupported backend type: " + type);
    } else if (Nodes.has(b, "spec", "tls")) {
      String mode = Nodes.textOr(b, "", "spec", "tls", "mode");
      String host = Nodes.textOr(b, "", "spec", "externalHostname", "hostname");
      switch (mode) {
        case "ClientAndServer" ->
            c.fail(
                "Accepted",
                "Invalid",
                "unsupported ClientAndServer TLS mode: Istio does not support client certificates on"
                    + " backend");
        case "ServerOnly" -> {
          ObjectNode tls =
              tlsRefs.clientTls(
                  Nodes.at(b, "spec", "tls", "validation"), host, Nodes.namespace(b), c);
          policies.add(
              new Policy(
                  "XBackend",
                  b,
                  "XBackend",
                  Nodes.name(b),
                  host,
                  null,
                  Nodes.at(b, "spec", "port", "port").asInt(),
                  tls,
                  null,
                  null));
        }
        case "None" -> {}
        default ->
            c.fail("Accepted", "Invalid", String.format("unsupported TLS mode: \"%s\"", mode));
      }
    }
    List<ObjectNode> incoming = new ArrayList<>();
    ObjectNode mesh = Nodes.object();
    mesh.put("group", Inputs.GWX_GROUP);
    mesh.put("kind", "XBackend");
    mesh.put("name", Nodes.name(b));
    incoming.add(
        PolicyAncestors.backendParent(PolicyAncestors.ancestor(mesh, st, b, c, MESH, status.now)));
    for (String g : ancestors.gatewaysOf("XBackend/" + Nodes.key(b))) {
      ObjectNode ref = Nodes.object();
      ref.put("group", Inputs.GW_GROUP);
      ref.put("kind", "Gateway");
      ref.put("namespace", g.substring(0, g.indexOf('/')));
      ref.put("name", g.substring(g.indexOf('/') + 1));
      incoming.add(
          PolicyAncestors.backendParent(
              PolicyAncestors.ancestor(
                  ref, st, b, c, GatewayClasses.GATEWAY_CONTROLLER, status.now)));
    }
    st.set("parents", PolicyAncestors.merge(st.get("parents"), incoming, 32));
    status.put(b, st);
  }
}
