package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import dev.isthmus.controlplane.gateway.GatewayClasses.ClassInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The Gateway- and ListenerSet-level status: acceptance, programming, addresses. */
final class GatewayStatus {
  private final Inputs in;
  private final GatewayAddresses addresses;
  private final String now;

  GatewayStatus(Inputs in, GatewayAddresses addresses, String now) {
    this.in = in;
    this.addresses = addresses;
    this.now = now;
  }

  void listenerSet(
      JsonNode ls,
      JsonNode gw,
      ObjectNode status,
      GatewayAddresses.Services svcs,
      List<ObjectNode> servers,
      boolean listenersValid) {
    GatewayAddresses.Resolved r =
        addresses.resolve(Nodes.namespace(gw), svcs.hostnames(), ports(servers));
    Conditions c = new Conditions();
    c.put("Accepted", "Accepted", "Resource accepted");
    c.put("Programmed", "Programmed", "Resource programmed");
    Problem listenersErr =
        listenersValid
            ? null
            : new Problem("ListenersNotValid", "None of the ListenerSet's listeners are valid");
    if (svcs.problem() != null) {
      c.fail(
          "Accepted", svcs.problem().reason(), "Parent not accepted: " + svcs.problem().message());
    } else if (listenersErr != null) {
      c.fail("Accepted", listenersErr);
    }
    GatewayAddresses.programmed(c, r, svcs.hostnames());
    if (listenersErr != null) {
      c.fail("Programmed", listenersErr);
    }
    prune(status, Nodes.list(ls, "spec", "listeners"));
    status.set("conditions", c.apply(status.get("conditions"), Nodes.generation(ls), now));
  }

  void gateway(
      JsonNode gw,
      ClassInfo info,
      ObjectNode status,
      List<String> services,
      List<ObjectNode> servers,
      int listenerSets,
      Problem err,
      int valid) {
    GatewayAddresses.Resolved r = addresses.resolve(Nodes.namespace(gw), services, ports(servers));
    Conditions c = new Conditions();
    c.put("Accepted", "Accepted", "Resource accepted");
    c.put("Programmed", "Programmed", "Resource programmed");
    c.put("ResolvedRefs", "ResolvedRefs", "All references resolved");
    int total = Nodes.list(gw, "spec", "listeners").size();
    if (err != null) {
      c.fail("Accepted", err);
    } else if (total > 0 && valid < total) {
      if (valid == 0) {
        c.fail("Accepted", "ListenersNotValid", "None of the Gateway's listeners are valid");
      } else {
        c.get("Accepted").reason = "ListenersNotValid";
        c.get("Accepted").message = "One or more of the Gateway's listeners are invalid";
      }
    }
    Problem backendTls = BackendClientCert.check(in, gw);
    if (backendTls != null) {
      c.fail("ResolvedRefs", backendTls);
    }
    if (listenerSets != 0) {
      status.put("attachedListenerSets", listenerSets);
    }
    JsonNode frontend = Nodes.at(gw, "spec", "tls", "frontend");
    if (!frontend.isMissingNode() && !frontend.isNull()) {
      boolean insecure =
          "AllowInsecureFallback".equals(Nodes.text(frontend, "default", "validation", "mode"));
      for (JsonNode pp : Nodes.list(frontend, "perPort")) {
        insecure |= "AllowInsecureFallback".equals(Nodes.text(pp, "tls", "validation", "mode"));
      }
      if (insecure) {
        c.put(
            "InsecureFrontendValidationMode",
            "ConfigurationChanged",
            "Gateway is operating in AllowInsecureFallback mode for frontend validation");
      } else if (status.get("conditions") instanceof ArrayNode conds) {
        for (int i = conds.size() - 1; i >= 0; i--) {
          if ("InsecureFrontendValidationMode".equals(Nodes.text(conds.get(i), "type"))) {
            conds.remove(i);
          }
        }
      }
    }
    GatewayAddresses.programmed(c, r, services);
    List<String> report = new ArrayList<>(r.external());
    if (report.isEmpty()) {
      String want =
          Nodes.strings(gw, "metadata", "annotations")
              .getOrDefault("networking.istio.io/address-type", info.addressType());
      if (!"Hostname".equals(want)) {
        report.addAll(r.internalIp());
      }
      if (!"IPAddress".equals(want)) {
        for (String hostport : r.internal()) {
          String host = hostport.substring(0, hostport.lastIndexOf(':'));
          if (!r.pending().contains(host) && !report.contains(host)) {
            report.add(host);
          }
        }
      }
    }
    if (!report.isEmpty()) {
      ArrayNode addrs = status.putArray("addresses");
      for (String a : report) {
        addrs.addObject().put("type", isIp(a) ? "IPAddress" : "Hostname").put("value", a);
      }
    }
    prune(status, Nodes.list(gw, "spec", "listeners"));
    status.set("conditions", c.apply(status.get("conditions"), Nodes.generation(gw), now));
  }

  static boolean isIp(String a) {
    return a.matches("\\d{1,3}(\\.\\d{1,3}){3}")
        || (a.contains(":") && a.matches("[0-9a-fA-F:.]+"));
  }

  static List<Integer> ports(List<ObjectNode> servers) {
    return servers.stream().map(s -> s.at("/port/number").asInt()).toList();
  }

  /** Drops listener statuses whose listener is gone (and duplicates). */
  static void prune(ObjectNode status, List<JsonNode> spec) {
    if (!status.has("listeners")) {
      return;
    }
    Set<String> have = new HashSet<>();
    spec.forEach(l -> have.add(Nodes.textOr(l, "", "name")));
    ArrayNode kept = Nodes.array();
    for (JsonNode l : Nodes.list(status, "listeners")) {
      if (have.remove(Nodes.textOr(l, "", "name"))) {
        kept.add(l);
      }
    }
    if (kept.isEmpty()) {
      status.remove("listeners");
    } else {
      status.set("listeners", kept);
    }
  }
}
