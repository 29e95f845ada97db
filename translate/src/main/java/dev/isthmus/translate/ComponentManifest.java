package dev.isthmus.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * {@code ComponentManifest} is the rendered objects of one component instance, in apply order.
 *
 * @param component Istio's component name: Base, Pilot, Cni, Ztunnel, IstiodRemote, IngressGateways
 *     or EgressGateways
 * @param name the gateway name, or the istiod name for control plane components
 * @param objects the Kubernetes objects, ordered by kind (CRDs first, webhooks last)
 */
public record ComponentManifest(String component, String name, List<ObjectNode> objects) {
  /** Copies {@code objects} into an unmodifiable list. */
  public ComponentManifest {
    objects = List.copyOf(objects);
  }
}
