package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.controlplane.gateway.Conditions.Problem;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.RegistryService;
import java.util.Set;

/** Resolves backendRefs to Istio destinations, with Istio's reasons when they do not resolve. */
final class Backends {
  /** A destination (null on a hard error) and the problem found, if any. */
  record Dest(ObjectNode destination, Problem problem) {}

  private static final Set<String> INVALID_BACKEND =
      Set.of("RefNotPermitted", "BackendNotFound", "InvalidKind");

  private final Inputs in;
  private final ReferenceGrants grants;

  Backends(Inputs in, ReferenceGrants grants) {
    this.in = in;
    this.grants = grants;
  }

  /** Whether a problem drops just the backend rather than the whole rule. */
  static boolean invalidBackend(Problem p) {
    return INVALID_BACKEND.contains(p.reason());
  }

  Dest build(JsonNode to, String ns, boolean enforceGrants, RouteKind routeKind) {
    RouteKind ref =
        RouteKind.normalize(Nodes.text(to, "group"), Nodes.text(to, "kind"), RouteKind.SERVICE);
    String name = Nodes.textOr(to, "", "name");
    String toNs = Nodes.text(to, "namespace");
    if (enforceGrants && toNs != null && !toNs.equals(ns)) {
      if (!grants.allowed(routeKind, ns, ref, toNs, name)) {
        return new Dest(
            Nodes.object(),
            new Problem(
                "RefNotPermitted",
                String.format(
                    "backendRef %s/%s not accessible to a %s in namespace \"%s\" (missing a"
                        + " ReferenceGrant?)",
                    name, toNs, routeKind.kind(), ns)));
      }
    }
    String namespace = toNs == null ? ns : toNs;
    Problem invalid = null;
    String hostname;
    switch (ref.group() + "/" + ref.kind()) {
      case Inputs.GWX_GROUP + "/XBackend" -> {
        JsonNode backend = in.backends.get(namespace + "/" + name);
        if (backend == null) {
          return notFound(name);
        }
        String type = Nodes.textOr(backend, "", "spec", "type");
        if (!type.equals("ExternalHostname") || !Nodes.has(backend, "spec", "externalHostname")) {
          return new Dest(
              Nodes.object(),
              new Problem(
                  "InvalidKind",
                  String.format(
                      "backend(%s) type: expected ExternalHostname, got %s", name, type)));
        }
        hostname = Nodes.textOr(backend, "", "spec", "externalHostname", "hostname");
        if (in.lookup(hostname, namespace) == null) {
          invalid =
              new Problem("BackendNotFound", String.format("backend(%s) not found", hostname));
        }
        int port = Nodes.at(backend, "spec", "port", "port").asInt();
        if (to.has("port") && to.path("port").asInt() != port) {
          return new Dest(
              Nodes.object(),
              new Problem(
                  "BackendNotFound",
                  String.format(
                      "backend(%s) does not expose port %d, expected %d",
                      name, to.path("port").asInt(), port)));
        }
        return new Dest(destination(hostname, port), invalid);
      }
      case "/Service" -> {
        if (name.contains(".")) {
          return new Dest(
              null,
              new Problem(
                  "InvalidDestination",
                  "service name invalid; the name of the Service must be used, not the hostname."));
        }
        hostname = name + "." + namespace + ".svc." + in.domainSuffix;
        if (!in.services.containsKey(namespace + "/" + name)) {
          invalid =
              new Problem("BackendNotFound", String.format("backend(%s) not found", hostname));
        }
      }
      case "networking.istio.io/Hostname" -> {
        if (toNs != null) {
          return new Dest(
              null,
              new Problem("InvalidDestination", "namespace may not be set with Hostname type"));
        }
        hostname = name;
        if (in.lookup(hostname, namespace) == null) {
          invalid =
              new Problem("BackendNotFound", String.format("backend(%s) not found", hostname));
        }
      }
      case "multicluster.x-k8s.io/ServiceImport" -> {
        hostname = name + "." + namespace + ".svc." + in.domainSuffix;
        if (!in.services.containsKey(namespace + "/" + name)) {
          invalid =
              new Problem("BackendNotFound", String.format("backend(%s) not found", hostname));
        }
      }
      case "inference.networking.k8s.io/InferencePool" -> {
        return InferencePools.destination(in, name, namespace);
      }
      default -> {
        return new Dest(
            Nodes.object(),
            new Problem(
                "InvalidKind",
                String.format(
                    "referencing unsupported backendRef: group \"%s\" kind \"%s\"",
                    Nodes.textOr(to, "", "group"), Nodes.textOr(to, "", "kind"))));
      }
    }
    if (!to.has("port") || to.get("port").isNull()) {
      return new Dest(null, new Problem("InvalidDestination", "port is required in backendRef"));
    }
    return new Dest(destination(hostname, to.path("port").asInt()), invalid);
  }

  private static Dest notFound(String name) {
    return new Dest(
        Nodes.object(),
        new Problem("BackendNotFound", String.format("backend(%s) not found", name)));
  }

  static ObjectNode destination(String host, int port) {
    ObjectNode d = Nodes.object();
    d.put("host", host);
    d.putObject("port").put("number", port);
    return d;
  }

  /** InferencePool backends: the pool's shadow service. */
  static final class InferencePools {
    private InferencePools() {}

    static Dest destination(Inputs in, String name, String namespace) {
      if (name.contains(".")) {
        return new Dest(
            null,
            new Problem(
                "InvalidDestination",
                "InferencePool.Name invalid; the name of the InferencePool must be used, not the"
                    + " hostname."));
      }
      if (!in.inferencePools.containsKey(namespace + "/" + name)) {
        return notFound(name);
      }
      String hostname = serviceName(name) + "." + namespace + ".svc." + in.domainSuffix;
      RegistryService svc = in.lookup(hostname, namespace);
      if (svc == null) {
        return notFound(hostname);
      }
      int port = svc.ports().isEmpty() ? 0 : svc.ports().get(0).port();
      return new Dest(Backends.destination(hostname, port), null);
    }

    /** The name of the service shadowing an InferencePool. */
    static String serviceName(String pool) {
      String hash;
      try {
        byte[] d =
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(pool.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        hash = java.util.HexFormat.of().formatHex(d).substring(0, 8);
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      String base = pool.length() + 12 > 63 ? pool.substring(0, 51) : pool;
      return base + "-ip-" + hash;
    }
  }
}
