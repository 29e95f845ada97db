package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.Port;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.RegistryService;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Which services a Gateway is served by, and what addresses they expose for given ports. */
final class GatewayAddresses {
  /** The services of a Gateway and a (possibly soft) problem with its addresses. */
  record Services(List<String> hostnames, Problem problem) {}

  /** What resolving the services on the Gateway's ports found. */
  record Resolved(
      List<String> internal,
      List<String> internalIp,
      List<String> external,
      List<String> pending,
      List<String> warnings,
      boolean allUsable) {}

  private final Inputs in;

  GatewayAddresses(Inputs in) {
    this.in = in;
  }

  /** Whether the control plane deploys the Gateway (no Hostname address given). */
  static boolean managed(JsonNode gw) {
    List<JsonNode> addrs = Nodes.list(gw, "spec", "addresses");
    if (addrs.isEmpty()) {
      return true;
    }
    if (addrs.size() > 1) {
      return false;
    }
    String t = Nodes.text(addrs.get(0), "type");
    return t == null || t.equals("IPAddress");
  }

  static String defaultName(JsonNode gw, GatewayClasses.ClassInfo info) {
    String name = Nodes.name(gw);
    return info.disableNameSuffix()
        ? name
        : name + "-" + Nodes.textOr(gw, "", "spec", "gatewayClassName");
  }

  Services services(JsonNode gw, GatewayClasses.ClassInfo info) {
    String ns = Nodes.namespace(gw);
    Map<String, String> annotations = Nodes.strings(gw, "metadata", "annotations");
    if (managed(gw)) {
      String name =
          annotations.getOrDefault("gateway.istio.io/name-override", defaultName(gw, info));
      return new Services(List.of(name + "." + ns + ".svc." + in.domainSuffix), null);
    }
    List<String> services = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (JsonNode a : Nodes.list(gw, "spec", "addresses")) {
      String type = Nodes.text(a, "type");
      String value = Nodes.textOr(a, "", "value");
      if (type != null && !type.equals("Hostname")) {
        skipped.add(value);
        continue;
      }
      services.add(value.contains(".") ? value : value + "." + ns + ".svc." + in.domainSuffix);
    }
    if (!skipped.isEmpty()) {
      return new Services(
          services,
          new Problem(
              "UnsupportedAddress",
              "only Hostname is supported, ignoring [" + String.join(" ", skipped) + "]"));
    }
    if (annotations.containsKey("networking.istio.io/service-type")) {
      return new Services(
          services,
          new Problem(
              "DeprecatedField",
              "annotation networking.istio.io/service-type is deprecated, use"
                  + " Spec.Infrastructure.Routeability"));
    }
    return new Services(services, null);
  }

  Resolved resolve(String namespace, List<String> services, Collection<Integer> serverPorts) {
    TreeSet<Integer> ports = new TreeSet<>(serverPorts);
    TreeSet<String> internal = new TreeSet<>();
    TreeSet<String> internalIp = new TreeSet<>();
    TreeSet<String> external = new TreeSet<>();
    TreeSet<String> pending = new TreeSet<>();
    List<String> warnings = new ArrayList<>();
    boolean unusable = false;
    for (String g : services) {
      RegistryService svc = in.lookup(g, namespace);
      if (svc == null) {
        Map<String, RegistryService> others = in.registry.getOrDefault(g, Map.of());
        if (!others.isEmpty()) {
          List<String> quoted =
              others.keySet().stream().map(n -> "\"" + n + "\"").sorted().toList();
          warnings.add(
              String.format(
                  "hostname \"%s\" not found in namespace \"%s\", but it was found in namespace(s)"
                      + " %s",
                  g, namespace, String.join(", ", quoted)));
        } else {
          warnings.add(String.format("hostname \"%s\" not found", g));
        }
        unusable = true;
        continue;
      }
      for (int port : ports) {
        Port sp = svc.ports().stream().filter(p -> p.port() == port).findFirst().orElse(null);
        if (sp != null && !sp.endpointPorts().isEmpty()) {
          internal.add(g + ":" + port);
          internalIp.addAll(svc.addresses());
          if (!svc.externalAddresses().isEmpty()) {
            external.addAll(svc.externalAddresses());
          } else if ("LoadBalancer".equals(svc.type()) && pending.add(g)) {
            warnings.add(String.format("address pending for hostname \"%s\"", g));
          }
          continue;
        }
        if (svc.ports().stream().allMatch(p -> p.endpointPorts().isEmpty())) {
          warnings.add(String.format("no instances found for hostname \"%s\"", g));
          continue;
        }
        TreeSet<String> hint = new TreeSet<>();
        for (Port p : svc.ports()) {
          if (p.endpointPorts().contains(port)) {
            hint.add(String.valueOf(p.port()));
          }
        }
        if (!hint.isEmpty()) {
          warnings.add(
              String.format(
                  "port %d not found for hostname \"%s\" (hint: the service port should be"
                      + " specified, not the workload port. Did you mean one of these ports: [%s]?)",
                  port, g, String.join(" ", hint)));
          unusable = true;
        } else if (!svc.labels().containsKey("gateway.istio.io/managed") || sp == null) {
          warnings.add(String.format("port %d not found for hostname \"%s\"", port, g));
          unusable = true;
        }
      }
    }
    warnings.sort(null);
    return new Resolved(
        List.copyOf(internal),
        List.copyOf(internalIp),
        List.copyOf(external),
        List.copyOf(pending),
        warnings,
        !unusable);
  }

  /** Sets the Programmed condition from what {@link #resolve} found. */
  static void programmed(Conditions c, Resolved r, List<String> services) {
    if (!r.internal().isEmpty()) {
      c.get("Programmed").message =
          "Resource programmed, assigned to service(s) " + humanJoin(r.internal());
    }
    if (services.isEmpty()) {
      c.fail("Programmed", "UnsupportedAddress", "Failed to assign to any requested addresses");
    } else if (!r.warnings().isEmpty()) {
      String msg =
          r.internal().isEmpty()
              ? "Failed to assign to any requested addresses: " + String.join("; ", r.warnings())
              : "Assigned to service(s) "
                  + humanJoin(r.internal())
                  + ", but failed to assign to all requested addresses: "
                  + String.join("; ", r.warnings());
      c.fail("Programmed", r.allUsable() ? "AddressNotAssigned" : "AddressNotUsable", msg);
    }
  }

  static String humanJoin(List<String> s) {
    return switch (s.size()) {
      case 0 -> "";
      case 1 -> s.get(0);
      case 2 -> s.get(0) + " and " + s.get(1);
      default -> String.join(", ", s.subList(0, s.size() - 1)) + ", and " + s.get(s.size() - 1);
    };
  }
}
