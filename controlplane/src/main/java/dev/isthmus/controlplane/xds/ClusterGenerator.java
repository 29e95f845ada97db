package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.Durations;
import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.ServicePort;
import dev.isthmus.controlplane.model.Workload;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHash;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimple;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimpleLB;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ClusterGenerator} builds CDS for a proxy: one EDS cluster per service port ({@code
 * outbound|<port>||<host>}) plus one per DestinationRule subset, with the rule's load balancer,
 * connection pool (Istio's unlimited circuit breakers where it sets nothing), outlier detection and
 * TLS ({@link UpstreamTls}, else {@link AutoMtls}); sidecars also get {@code inbound|<port>||}
 * clusters for the ports their workload serves, {@link Names#BLACKHOLE} and {@link
 * Names#PASSTHROUGH}.
 */
final class ClusterGenerator {
  static final com.google.protobuf.Duration CONNECT_TIMEOUT = Durations.millis(10_000);
  static final String HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private final ConfigLookup lookup;
  private final java.util.function.Function<MeshService, List<String>> serviceAccounts;

  /** With the push's identities of a service ({@link PushContext#serviceAccounts}). */
  ClusterGenerator(
      ConfigLookup lookup, java.util.function.Function<MeshService, List<String>> serviceAccounts) {
    this.lookup = lookup;
    this.serviceAccounts = serviceAccounts;
  }

  List<Cluster> generate(ProxyNode proxy) {
    List<Cluster> out = new ArrayList<>();
    for (MeshService svc : lookup.visibleServices(proxy)) {
      if (svc.hostname().contains("*")) {
        continue;
      }
      ConfigEntry<DestinationRule> dre =
          lookup.destinationRule(svc.hostname(), svc.namespace(), proxy.namespace()).orElse(null);
      DestinationRule dr = dre == null ? null : dre.spec();
      List<String> sans = serviceAccounts.apply(svc);
      for (ServicePort port : svc.ports()) {
        out.add(outbound(proxy, svc, port, null, dre, sans));
        if (dr != null && dr.getSubsets() != null) {
          for (Subset s : dr.getSubsets()) {
            out.add(outbound(proxy, svc, port, s.getName(), dre, sans));
          }
        }
      }
    }
    if (proxy.type() != ProxyNode.Type.PROXYLESS_GRPC) {
      out.add(
          Cluster.newBuilder()
              .setName(Names.BLACKHOLE)
              .setType(Cluster.DiscoveryType.STATIC)
              .setConnectTimeout(CONNECT_TIMEOUT)
              .build());
      out.add(
          Cluster.newBuilder()
              .setName(Names.PASSTHROUGH)
              .setType(Cluster.DiscoveryType.ORIGINAL_DST)
              .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
              .setConnectTimeout(CONNECT_TIMEOUT)
              .setCircuitBreakers(circuitBreakers(null, true))
              .build());
    }
    if (proxy.type() == ProxyNode.Type.SIDECAR) {
      for (ServicePort p : inboundPorts(lookup, proxy)) {
        out.add(inbound(p));
      }
    }
    return out;
  }

  /** Ports of services selecting the proxy's workload, by target port, no duplicates. */
  static List<ServicePort> inboundPorts(ConfigLookup lookup, ProxyNode proxy) {
    Workload w = lookup.mesh().workloads().get(proxy.ip());
    var labels = w != null ? w.labels() : proxy.labels();
    String ns = w != null ? w.namespace() : proxy.namespace();
    java.util.TreeMap<Integer, ServicePort> ports = new java.util.TreeMap<>();
    for (MeshService svc : lookup.mesh().services().values()) {
      if (svc.namespace().equals(ns)
          && !svc.selector().isEmpty()
          && svc.selector().entrySet().stream()
              .allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
        for (ServicePort p : svc.ports()) {
          ports.putIfAbsent(p.targetPort(), p);
        }
      }
    }
    return List.copyOf(ports.values());
  }

  private static Cluster inbound(ServicePort p) {
    Cluster.Builder b =
        Cluster.newBuilder()
            .setName(Names.inboundCluster(p.targetPort()))
            .setType(Cluster.DiscoveryType.ORIGINAL_DST)
            .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
            .setConnectTimeout(CONNECT_TIMEOUT)
            .setCircuitBreakers(circuitBreakers(null, true))
            .setUpstreamBindConfig(
                BindConfig.newBuilder()
                    .setSourceAddress(
                        SocketAddress.newBuilder().setAddress("127.0.0.6").setPortValue(0)));
    if (p.protocol().isHttp2()) {
      http2(b);
    }
    return b.build();
  }

  private Cluster outbound(
      ProxyNode proxy,
      MeshService svc,
      ServicePort port,
      String subset,
      ConfigEntry<DestinationRule> ruleEntry,
      List<String> serviceAccounts) {
    DestinationRule dr = ruleEntry == null ? null : ruleEntry.spec();
    String name = Names.outboundCluster(port.port(), subset, svc.hostname());
    Cluster.Builder b = Cluster.newBuilder().setName(name).setConnectTimeout(CONNECT_TIMEOUT);
    if (svc.resolution() == MeshService.Resolution.DNS
        && proxy.type() != ProxyNode.Type.PROXYLESS_GRPC) {
      b.setType(Cluster.DiscoveryType.STRICT_DNS).setLoadAssignment(dnsAssignment(name, svc, port));
    } else if (svc.resolution() == MeshService.Resolution.NONE
        && proxy.type() != ProxyNode.Type.PROXYLESS_GRPC) {
      b.setType(Cluster.DiscoveryType.ORIGINAL_DST).setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
    } else {
      b.setType(Cluster.DiscoveryType.EDS)
          .setEdsClusterConfig(
              Cluster.EdsClusterConfig.newBuilder().setServiceName(name).setEdsConfig(ads()));
    }
    if (port.protocol().isHttp2() && proxy.type() != ProxyNode.Type.PROXYLESS_GRPC) {
      http2(b);
    }
    TrafficPolicy tp = ConfigLookup.policy(dr, subset, port.port());
    ConnectionPoolSettings cp = tp == null ? null : tp.getConnectionPool();
    if (proxy.type() != ProxyNode.Type.PROXYLESS_GRPC) {
      b.setCircuitBreakers(circuitBreakers(cp, true));
    } else if (cp != null) {
      b.setCircuitBreakers(circuitBreakers(cp, false));
    }
    if (tp != null) {
      applyPolicy(b, tp, proxy);
    }
    String sni = Names.sni(port.port(), subset, svc.hostname());
    if (tp != null && tp.getTls() != null) {
      UpstreamTls.apply(
          b,
          tp.getTls(),
          proxy,
          sni,
          serviceAccounts,
          svc.origin() == MeshService.Origin.SERVICE_ENTRY,
          selects(ruleEntry, proxy));
    }
    // As Istio: a tls block without mode is DISABLE, and clients infer the server's mode from the
    // namespace-wide (else mesh-wide) PeerAuthentication of the service's namespace only.
    boolean tlsUnset = tp == null || tp.getTls() == null;
    if (tlsUnset
        && proxy.type() != ProxyNode.Type.PROXYLESS_GRPC
        && b.getType() != Cluster.DiscoveryType.ORIGINAL_DST
        && PeerAuthentications.namespaceMode(lookup.mesh(), svc.namespace())
            != PeerAuthentications.Mode.DISABLE) {
      AutoMtls.apply(b, sni, serviceAccounts);
    }
    LocalityLoadBalancerSetting locality =
        tp == null || tp.getLoadBalancer() == null
            ? null
            : tp.getLoadBalancer().getLocalityLbSetting();
    if (proxy.type() != ProxyNode.Type.PROXYLESS_GRPC
        && locality != null
        && !Boolean.FALSE.equals(locality.getEnabled())) {
      // As Istio by default: locality-weighted balancing only where a DestinationRule asks for
      // locality load balancing; EDS then carries the weights and priorities.
      b.setCommonLbConfig(
          Cluster.CommonLbConfig.newBuilder()
              .setLocalityWeightedLbConfig(
                  Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance()));
    }
    return b.build();
  }

  /**
   * Whether the rule has a {@code workloadSelector} that selects the proxy's workload in the rule's
   * namespace: only then does a sidecar take the rule's {@code credentialName}, as Istio.
   */
  private boolean selects(ConfigEntry<DestinationRule> rule, ProxyNode proxy) {
    var sel = rule.spec().getWorkloadSelector();
    if (sel == null
        || sel.getMatchLabels() == null
        || sel.getMatchLabels().isEmpty()
        || !rule.namespace().equals(proxy.namespace())) {
      return false;
    }
    Workload w = lookup.mesh().workloads().get(proxy.ip());
    var labels = w != null ? w.labels() : proxy.labels();
    return sel.getMatchLabels().entrySet().stream()
        .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  private static void http2(Cluster.Builder b) {
    b.putTypedExtensionProtocolOptions(
        HTTP_OPTIONS,
        Any.pack(
            HttpProtocolOptions.newBuilder()
                .setExplicitHttpConfig(
                    HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                .build()));
  }

  private ClusterLoadAssignment dnsAssignment(String name, MeshService svc, ServicePort port) {
    LocalityLbEndpoints.Builder l = LocalityLbEndpoints.newBuilder();
    for (MeshEndpoint e : lookup.mesh().endpointsOf(svc.hostname())) {
      if (e.servicePort() == port.port()) {
        l.addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(EndpointGenerator.endpoint(e)));
      }
    }
    return ClusterLoadAssignment.newBuilder().setClusterName(name).addEndpoints(l).build();
  }

  /**
   * Circuit breakers from a connection pool ({@code cp} may be null). With {@code istioDefaults},
   * as Istio does for Envoy, what the pool does not set is unlimited (the largest value): Envoy's
   * own defaults (1024 connections, pending and active requests, 3 parallel retries) make a busy
   * mesh or a rollout fail with 503s. Proxyless gRPC keeps its own defaults.
   */
  static CircuitBreakers circuitBreakers(ConnectionPoolSettings cp, boolean istioDefaults) {
    CircuitBreakers.Thresholds.Builder t =
        CircuitBreakers.Thresholds.newBuilder().setPriority(RoutingPriority.DEFAULT);
    if (istioDefaults) {
      UInt32Value unlimited = UInt32Value.of(-1); // 2^32 - 1 as an unsigned 32-bit value
      t.setMaxConnections(unlimited)
          .setMaxPendingRequests(unlimited)
          .setMaxRequests(unlimited)
          .setMaxRetries(unlimited);
    }
    if (cp != null && cp.getTcp() != null && cp.getTcp().getMaxConnections() != null) {
      t.setMaxConnections(UInt32Value.of(cp.getTcp().getMaxConnections()));
    }
    if (cp != null && cp.getHttp() != null) {
      if (cp.getHttp().getHttp1MaxPendingRequests() != null) {
        t.setMaxPendingRequests(UInt32Value.of(cp.getHttp().getHttp1MaxPendingRequests()));
      }
      if (cp.getHttp().getHttp2MaxRequests() != null) {
        t.setMaxRequests(UInt32Value.of(cp.getHttp().getHttp2MaxRequests()));
      }
      if (cp.getHttp().getMaxRetries() != null) {
        t.setMaxRetries(UInt32Value.of(cp.getHttp().getMaxRetries()));
      }
    }
    return CircuitBreakers.newBuilder().addThresholds(t).build();
  }

  private static void applyPolicy(Cluster.Builder b, TrafficPolicy tp, ProxyNode proxy) {
    LoadBalancerSettings lb = tp.getLoadBalancer();
    if (lb != null && lb.getLbPolicy() instanceof LoadBalancerSettingsSimple simple) {
      LoadBalancerSettingsSimpleLB s = simple.getSimple();
      if (s == LoadBalancerSettingsSimpleLB.LEAST_CONN
          || s == LoadBalancerSettingsSimpleLB.LEAST_REQUEST) {
        b.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
      } else if (s == LoadBalancerSettingsSimpleLB.RANDOM
          && proxy.type() != ProxyNode.Type.PROXYLESS_GRPC) {
        b.setLbPolicy(Cluster.LbPolicy.RANDOM);
      }
    } else if (lb != null && lb.getLbPolicy() instanceof LoadBalancerSettingsConsistentHash) {
      b.setLbPolicy(Cluster.LbPolicy.RING_HASH);
    }
    ConnectionPoolSettings cp = tp.getConnectionPool();
    if (cp != null && cp.getTcp() != null && cp.getTcp().getConnectTimeout() != null) {
      b.setConnectTimeout(Durations.parse(cp.getTcp().getConnectTimeout()));
    }
    var od = tp.getOutlierDetection();
    if (od != null) {
      OutlierDetection.Builder o = OutlierDetection.newBuilder();
      Integer c5xx =
          od.getConsecutive5xxErrors() != null
              ? od.getConsecutive5xxErrors()
              : od.getConsecutiveErrors();
      if (c5xx != null) {
        o.setConsecutive5Xx(UInt32Value.of(c5xx));
      }
      if (od.getConsecutiveGatewayErrors() != null) {
        o.setConsecutiveGatewayFailure(UInt32Value.of(od.getConsecutiveGatewayErrors()));
      }
      if (od.getInterval() != null) {
        o.setInterval(Durations.parse(od.getInterval()));
      }
      if (od.getBaseEjectionTime() != null) {
        o.setBaseEjectionTime(Durations.parse(od.getBaseEjectionTime()));
      }
      if (od.getMaxEjectionPercent() != null) {
        o.setMaxEjectionPercent(UInt32Value.of(od.getMaxEjectionPercent()));
      }
      b.setOutlierDetection(o);
    }
  }
}
