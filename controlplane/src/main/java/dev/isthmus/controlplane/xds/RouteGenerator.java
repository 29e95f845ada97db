package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.ServicePort;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code RouteGenerator} builds RDS. Sidecars get one route configuration per HTTP port named
 * {@code <port>} with a virtual host per service, routed by the oldest VirtualService binding the
 * host (Istio does not merge VirtualServices for sidecars); proxyless gRPC clients get {@code
 * <host>:<port>} with a single virtual host; gateways get {@code http.<port>} (and {@code
 * https.<port>.<portName>.<gateway>.<namespace>} for servers terminating TLS) with a virtual host
 * per Gateway server host, merging the routes of all VirtualServices for that host oldest first and
 * moving catch-all routes last, as Istio does. Delegated routes are expanded by {@link
 * VirtualServiceDelegates} before any of this.
 */
final class RouteGenerator {
  private static final Set<String> MESH = Set.of("mesh");

  /** 1 MiB, the limit Istio validates direct response bodies against (Envoy's default is 4 KiB). */
  static final com.google.protobuf.UInt32Value MAX_DIRECT_RESPONSE_BODY =
      com.google.protobuf.UInt32Value.of(1024 * 1024);

  private final ConfigLookup lookup;

  RouteGenerator(ConfigLookup lookup) {
    this.lookup = lookup;
  }

  List<RouteConfiguration> generate(ProxyNode proxy) {
    return switch (proxy.type()) {
      case SIDECAR -> sidecar(proxy);
      case PROXYLESS_GRPC -> proxyless(proxy);
      case ROUTER -> gateway(proxy);
    };
  }

  private List<RouteConfiguration> sidecar(ProxyNode proxy) {
    RouteTranslator t = new RouteTranslator(lookup.mesh(), proxy, MESH);
    Map<Integer, List<VirtualHost>> byPort = new TreeMap<>();
    for (MeshService svc : lookup.visibleServices(proxy)) {
      for (ServicePort p : svc.ports()) {
        if (p.protocol().isHttp()) {
          byPort
              .computeIfAbsent(p.port(), k -> new ArrayList<>())
              .add(virtualHost(t, proxy, svc, p));
        }
      }
    }
    boolean registryOnly = lookup.registryOnly(proxy);
    String catchAll = registryOnly ? "block_all" : "allow_any";
    String catchAllCluster = registryOnly ? Names.BLACKHOLE : Names.PASSTHROUGH;
    List<RouteConfiguration> out = new ArrayList<>();
    byPort.forEach(
        (port, hosts) ->
            out.add(
                RouteConfiguration.newBuilder()
                    .setName(Integer.toString(port))
                    .setValidateClusters(com.google.protobuf.BoolValue.of(false))
                    .setMaxDirectResponseBodySizeBytes(MAX_DIRECT_RESPONSE_BODY)
                    .addAllVirtualHosts(hosts)
                    .addVirtualHosts(
                        VirtualHost.newBuilder()
                            .setName(catchAll)
                            .addDomains("*")
                            .addRoutes(
                                Route.newBuilder()
                                    .setName(catchAll)
                                    .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                    .setRoute(
                                        RouteAction.newBuilder().setCluster(catchAllCluster))))
                    .build()));
    return out;
  }

  private List<RouteConfiguration> proxyless(ProxyNode proxy) {
    RouteTranslator t = new RouteTranslator(lookup.mesh(), proxy, MESH);
    List<RouteConfiguration> out = new ArrayList<>();
    for (MeshService svc : lookup.visibleServices(proxy)) {
      if (svc.hostname().contains("*")) {
        continue;
      }
      for (ServicePort p : svc.ports()) {
        String name = svc.hostname() + ":" + p.port();
        out.add(
            RouteConfiguration.newBuilder()
                .setName(name)
                .addVirtualHosts(virtualHost(t, proxy, svc, p))
                .build());
      }
    }
    return out;
  }

  VirtualHost virtualHost(RouteTranslator t, ProxyNode proxy, MeshService svc, ServicePort p) {
    VirtualHost.Builder vh =
        VirtualHost.newBuilder()
            .setName(svc.hostname() + ":" + p.port())
            .addAllDomains(domains(proxy, svc, p.port()));
    // Sidecars do not merge VirtualServices (Istio merges only on gateways): the oldest one
    // binding the host wins; a VirtualService without routes for this port leaves the default.
    List<ConfigEntry<VirtualService>> vss =
        lookup.meshVirtualServices(svc.hostname(), proxy.namespace());
    List<Route> routes = vss.isEmpty() ? List.of() : t.routes(vss.get(0), p.port());
    if (!routes.isEmpty()) {
      vh.addAllRoutes(routes);
    } else {
      vh.addRoutes(t.defaultRoute(svc.hostname(), p.port()));
    }
    return vh.build();
  }

  static List<String> domains(ProxyNode proxy, MeshService svc, int port) {
    Set<String> d = new LinkedHashSet<>();
    d.add(svc.hostname());
    d.add(svc.hostname() + ":" + port);
    if (svc.origin() == MeshService.Origin.KUBERNETES) {
      String shortNs = svc.name() + "." + svc.namespace();
      d.add(shortNs);
      d.add(shortNs + ":" + port);
      d.add(shortNs + ".svc");
      d.add(shortNs + ".svc:" + port);
      if (svc.namespace().equals(proxy.namespace())) {
        d.add(svc.name());
        d.add(svc.name() + ":" + port);
      }
    }
    if (!svc.address().isEmpty()) {
      d.add(svc.address());
      d.add(svc.address() + ":" + port);
    }
    return new ArrayList<>(d);
  }

  private List<RouteConfiguration> gateway(ProxyNode proxy) {
    Map<Integer, Map<String, VirtualHost.Builder>> byPort = new TreeMap<>();
    Map<Integer, Set<String>> seen = new TreeMap<>();
    List<RouteConfiguration> tls = new ArrayList<>();
    for (GatewayServers.Bound b : GatewayServers.forProxy(lookup.mesh(), proxy)) {
      Server s = b.server();
      int port = s.getPort().getNumber().intValue();
      if (GatewayServers.terminatesTls(s)
          && (GatewayServers.protocol(s).isHttp()
              || GatewayServers.protocol(s) == ServicePort.Protocol.HTTPS)) {
        Map<String, VirtualHost.Builder> hosts = new TreeMap<>();
        gatewayHosts(proxy, b, port, true, hosts, new HashSet<>());
        tls.add(
            RouteConfiguration.newBuilder()
                .setName(ListenerGenerator.httpsRouteName(b))
                .setValidateClusters(com.google.protobuf.BoolValue.of(false))
                .setMaxDirectResponseBodySizeBytes(MAX_DIRECT_RESPONSE_BODY)
                .addAllVirtualHosts(build(hosts))
                .build());
      } else if (GatewayServers.isPlainHttp(s)) {
        gatewayHosts(
            proxy,
            b,
            port,
            false,
            byPort.computeIfAbsent(port, k -> new TreeMap<>()),
            seen.computeIfAbsent(port, k -> new HashSet<>()));
      }
    }
    List<RouteConfiguration> out = new ArrayList<>(tls);
    byPort.forEach(
        (port, hosts) ->
            out.add(
                RouteConfiguration.newBuilder()
                    .setName("http." + port)
                    .setValidateClusters(com.google.protobuf.BoolValue.of(false))
                    .setMaxDirectResponseBodySizeBytes(MAX_DIRECT_RESPONSE_BODY)
                    .addAllVirtualHosts(build(hosts))
                    .build()));
    return out;
  }

  /**
   * Adds the virtual hosts of the VirtualServices bound to a gateway server. VirtualServices for
   * the same host are merged in age order (Istio's behaviour on gateways); {@code seen} keeps a
   * VirtualService exposed by two servers on one port from adding its routes twice.
   */
  void gatewayHosts(
      ProxyNode proxy,
      GatewayServers.Bound b,
      int port,
      boolean tls,
      Map<String, VirtualHost.Builder> hosts,
      Set<String> seen) {
    RouteTranslator t = new RouteTranslator(lookup.mesh(), proxy, Set.of(b.key())).tls(tls);
    boolean httpsRedirect =
        !tls
            && b.server().getTls() != null
            && Boolean.TRUE.equals(b.server().getTls().getHttpsRedirect());
    for (ConfigEntry<VirtualService> vs : lookup.gatewayVirtualServices(b.key(), b.namespace())) {
      for (String h : vs.spec().getHosts()) {
        if (!GatewayServers.hostAllowed(b.server(), h) || !seen.add(vs.key() + "|" + h)) {
          continue;
        }
        List<Route> routes = t.routes(vs, port);
        if (routes.isEmpty()) {
          continue;
        }
        VirtualHost.Builder vh =
            hosts.computeIfAbsent(
                h + ":" + port,
                k -> VirtualHost.newBuilder().setName(k).addDomains(h).addDomains(h + ":*"));
        vh.addAllRoutes(routes);
        if (httpsRedirect) {
          vh.setRequireTls(VirtualHost.TlsRequirementType.ALL);
        }
      }
    }
  }

  /** Virtual hosts with catch-all routes moved last, keeping the order of the others. */
  private static List<VirtualHost> build(Map<String, VirtualHost.Builder> hosts) {
    List<VirtualHost> out = new ArrayList<>();
    for (VirtualHost.Builder vh : hosts.values()) {
      List<Route> specific = new ArrayList<>();
      List<Route> catchAll = new ArrayList<>();
      for (Route r : vh.getRoutesList()) {
        (HttpMatches.isCatchAll(r) ? catchAll : specific).add(r);
      }
      specific.addAll(catchAll);
      out.add(vh.clearRoutes().addAllRoutes(specific).build());
    }
    return out;
  }
}
