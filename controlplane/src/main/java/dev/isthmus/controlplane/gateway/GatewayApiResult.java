package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;

/**
 * {@code GatewayApiResult} is what the Gateway API conversion derives from a {@link
 * GatewayApiSnapshot}: Istio Gateways (one per listener) and VirtualServices, as trees in the shape
 * of {@code networking.istio.io/v1} objects, and the status to write on each Gateway API object.
 *
 * @param gateways the derived Istio Gateways
 * @param virtualServices the derived Istio VirtualServices
 * @param destinationRules the DestinationRules backend policies (BackendTLSPolicy,
 *     XBackendTrafficPolicy, XBackend TLS) stand for
 * @param statuses the status of each Gateway API object the conversion is responsible for
 */
public record GatewayApiResult(
    List<ObjectNode> gateways,
    List<ObjectNode> virtualServices,
    List<ObjectNode> destinationRules,
    List<StatusUpdate> statuses) {

  /** Copies the lists. */
  public GatewayApiResult {
    gateways = List.copyOf(gateways);
    virtualServices = List.copyOf(virtualServices);
    destinationRules = List.copyOf(destinationRules);
    statuses = List.copyOf(statuses);
  }

  /** The derived Gateways as fabric8 istio-model objects, ready for the xDS side. */
  public List<Gateway> istioGateways() {
    return gateways.stream()
        .map(g -> Serialization.jsonMapper().convertValue(g, Gateway.class))
        .toList();
  }

  /** The derived VirtualServices as fabric8 istio-model objects. */
  public List<VirtualService> istioVirtualServices() {
    return virtualServices.stream()
        .map(v -> Serialization.jsonMapper().convertValue(v, VirtualService.class))
        .toList();
  }

  /** The derived DestinationRules as fabric8 istio-model objects. */
  public List<DestinationRule> istioDestinationRules() {
    return destinationRules.stream()
        .map(d -> Serialization.jsonMapper().convertValue(d, DestinationRule.class))
        .toList();
  }

  /**
   * The status of one Gateway API object.
   *
   * @param apiVersion the API version to write the status with (the preferred one of the kind)
   * @param kind the object kind
   * @param namespace the object namespace, empty for cluster-scoped kinds
   * @param name the object name
   * @param status the whole {@code status} stanza
   */
  public record StatusUpdate(
      String apiVersion, String kind, String namespace, String name, JsonNode status) {

    /**
     * The object to server-side apply to the {@code status} subresource: identity and status only,
     * so the apply owns exactly the status fields this conversion computes.
     */
    public ObjectNode applyObject() {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("apiVersion", apiVersion);
      o.put("kind", kind);
      ObjectNode meta = o.putObject("metadata");
      meta.put("name", name);
      if (!namespace.isEmpty()) {
        meta.put("namespace", namespace);
      }
      o.set("status", status.deepCopy());
      return o;
    }
  }
}
