package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code GatewayApiConverter} turns a {@link GatewayApiSnapshot} into the Istio config Gateway API
 * objects stand for and the status of each of them, the way Istio's gateway controller does:
 *
 * <ol>
 *   <li>GatewayClasses whose controller is ours get {@code Accepted};
 *   <li>each listener of a Gateway (or of a ListenerSet attached to one) that can be programmed
 *       becomes an Istio Gateway with one server, and a parent routes can bind to;
 *   <li>each route binds to the parents its parentRefs name (section, port, hostname, namespace and
 *       kind must all admit it) and is converted once for gateway parents and once for mesh
 *       (Service, ServiceEntry) parents; HTTP and GRPC VirtualServices are merged by gateway and
 *       host;
 *   <li>statuses are written last, when attached route counts are known.
 * </ol>
 *
 * <p>It is pure: no client, no clock but the one passed in, no I/O. Wiring (informers, status
 * writes) lives elsewhere and calls {@link #convert}.
 */
public final class GatewayApiConverter {
  private GatewayApiConverter() {}

  /** Converts at the current time (used only as {@code lastTransitionTime} of new conditions). */
  public static GatewayApiResult convert(GatewayApiSnapshot snapshot) {
    return convert(snapshot, Instant.now());
  }

  /** Converts; {@code now} is the transition time written on changed conditions. */
  public static GatewayApiResult convert(GatewayApiSnapshot snapshot, Instant now) {
    String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
    Inputs in = new Inputs(snapshot);
    Status status = new Status(time);
    GatewayClasses classes = new GatewayClasses(in);
    classes.statuses(status);
    ReferenceGrants grants = new ReferenceGrants(in);
    Listeners listeners = new Listeners(in, new ListenerTls(in, grants), time);
    Gateways gateways = new Gateways(in, classes, listeners, time);
    gateways.run();
    RouteBinding binding = new RouteBinding(in, gateways.parents);
    Routes routes = new Routes(in, binding, new Backends(in, grants), status);
    routes.run();
    BackendPolicies backends = new BackendPolicies(in, status);
    backends.run();
    InferencePoolStatus.run(in, status);
    for (Map.Entry<JsonNode, ObjectNode> e : gateways.pending.entrySet()) {
      JsonNode obj = e.getKey();
      ObjectNode st = e.getValue();
      for (JsonNode l : st.path("listeners")) {
        String key = Nodes.key(obj) + "/" + Nodes.textOr(l, "", "name");
        ((ObjectNode) l).put("attachedRoutes", routes.attached.getOrDefault(key, 0));
      }
      status.put(obj, st);
    }
    List<ObjectNode> gws = sorted(gateways.configs);
    List<ObjectNode> vss = sorted(routes.virtualServices);
    List<ObjectNode> drs = DestinationRules.build(in, backends.policies);
    return new GatewayApiResult(gws, vss, drs, status.updates);
  }

  private static List<ObjectNode> sorted(List<ObjectNode> in) {
    List<ObjectNode> out = new ArrayList<>(in);
    out.sort(
        Comparator.comparing((ObjectNode o) -> Nodes.textOr(o, "", "metadata", "creationTimestamp"))
            .thenComparing(Nodes::namespace)
            .thenComparing(Nodes::name));
    return out;
  }
}
