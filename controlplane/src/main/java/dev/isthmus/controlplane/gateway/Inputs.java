package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.controlplane.gateway.GatewayApiSnapshot.RegistryService;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The snapshot's objects indexed by kind and key, with versions folded together. */
final class Inputs {
  static final String GW_GROUP = "gateway.networking.k8s.io";
  static final String GWX_GROUP = "gateway.networking.x-k8s.io";

  final String domainSuffix;
  final Map<String, JsonNode> gatewayClasses = new LinkedHashMap<>();
  final Map<String, JsonNode> gateways = new LinkedHashMap<>();
  final Map<String, JsonNode> listenerSets = new LinkedHashMap<>();
  final Map<String, Map<String, JsonNode>> routes = new LinkedHashMap<>();
  final List<JsonNode> referenceGrants = new ArrayList<>();
  final Map<String, Map<String, byte[]>> secrets = new HashMap<>();
  final Map<String, Map<String, byte[]>> configMaps = new HashMap<>();
  final Map<String, Map<String, String>> namespaces = new TreeMap<>();
  final Map<String, JsonNode> services = new HashMap<>();
  final Map<String, JsonNode> serviceEntries = new HashMap<>();
  final Map<String, JsonNode> backends = new LinkedHashMap<>();
  final Map<String, JsonNode> inferencePools = new HashMap<>();
  final Map<String, JsonNode> tlsPolicies = new LinkedHashMap<>();
  final Map<String, JsonNode> trafficPolicies = new LinkedHashMap<>();
  final Map<String, Map<String, RegistryService>> registry = new HashMap<>();

  Inputs(GatewayApiSnapshot snapshot) {
    this.domainSuffix = snapshot.domainSuffix();
    for (String k : RouteKind.NAMES) {
      routes.put(k, new LinkedHashMap<>());
    }
    for (JsonNode o : snapshot.objects()) {
      add(o);
    }
    for (RegistryService s : snapshot.services()) {
      registry.computeIfAbsent(s.hostname(), h -> new HashMap<>()).putIfAbsent(s.namespace(), s);
    }
  }

  private void add(JsonNode o) {
    String apiVersion = Nodes.textOr(o, "", "apiVersion");
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    String kind = Nodes.textOr(o, "", "kind");
    String key = Nodes.key(o);
    if (group.equals(GW_GROUP) || group.equals(GWX_GROUP)) {
      switch (kind) {
        case "GatewayClass" -> gatewayClasses.put(Nodes.name(o), o);
        case "Gateway" -> gateways.put(key, o);
        case "ListenerSet", "XListenerSet" -> listenerSets.put(key, o);
        case "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute" -> routes.get(kind).put(key, o);
        case "ReferenceGrant" -> referenceGrants.add(o);
        case "XBackend", "Backend" -> backends.put(key, o);
        case "BackendTLSPolicy" -> tlsPolicies.put(key, o);
        case "XBackendTrafficPolicy", "BackendTrafficPolicy" -> trafficPolicies.put(key, o);
        default -> {}
      }
      return;
    }
    switch (group + "/" + kind) {
      case "/Secret" -> secrets.put(key, data(o));
      case "/ConfigMap" -> configMaps.put(key, data(o));
      case "/Namespace" -> namespaces.put(Nodes.name(o), Nodes.strings(o, "metadata", "labels"));
      case "/Service" -> services.put(key, o);
      case "networking.istio.io/ServiceEntry" -> serviceEntries.put(key, o);
      case "inference.networking.k8s.io/InferencePool" -> inferencePools.put(key, o);
      default -> {}
    }
  }

  /** Secret {@code data} (base64) and {@code stringData}; ConfigMap {@code data} and binaryData. */
  private static Map<String, byte[]> data(JsonNode o) {
    Map<String, byte[]> out = new TreeMap<>();
    boolean secret = "Secret".equals(Nodes.text(o, "kind"));
    Nodes.strings(o, "data")
        .forEach(
            (k, v) ->
                out.put(
                    k,
                    secret
                        ? Base64.getMimeDecoder().decode(v)
                        : v.getBytes(StandardCharsets.UTF_8)));
    Nodes.strings(o, "binaryData").forEach((k, v) -> out.put(k, Base64.getMimeDecoder().decode(v)));
    Nodes.strings(o, "stringData")
        .forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  RegistryService lookup(String hostname, String namespace) {
    Map<String, RegistryService> byNs = registry.get(hostname);
    return byNs == null ? null : byNs.get(namespace);
  }
}
