package dev.isthmus.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import dev.isthmus.controlplane.xds.Simulation.Endpoint;
import dev.isthmus.controlplane.xds.Simulation.Limits;
import dev.isthmus.controlplane.xds.Simulation.Outlier;
import dev.isthmus.controlplane.xds.Simulation.Tls;
import dev.isthmus.controlplane.xds.Simulation.TlsMode;
import dev.isthmus.controlplane.xds.Simulation.Upstream;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.UpstreamHttpProtocolOptions;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code SimulationClusters} reads a cluster as the proxy would use it: discovery type, load
 * balancer, outlier detection and circuit-breaker limits (with Envoy's defaults where the cluster
 * sets none), and its endpoints with locality, priority and the transport each one gets — the
 * cluster's transport socket, or with {@code transport_socket_matches} the first match whose fields
 * all appear in the endpoint's {@code envoy.transport_socket_match} metadata.
 */
final class SimulationClusters {
  /** Envoy's circuit-breaker defaults: connections, pending requests, requests, retries. */
  static final long DEFAULT_LIMIT = 1024;

  static final long DEFAULT_RETRIES = 3;

  private SimulationClusters() {}

  static Upstream upstream(ProxyResources r, String name) {
    Cluster c = (Cluster) r.messages(Resources.V3.CLUSTER_TYPE_URL).get(name);
    if (c == null) {
      return Upstream.missing(name);
    }
    var upstreamHttp = upstreamHttp(c);
    Tls clusterTls = tls(c.hasTransportSocket() ? c.getTransportSocket() : null, upstreamHttp);
    List<Endpoint> endpoints = new ArrayList<>();
    ClusterLoadAssignment cla =
        switch (c.getType()) {
          case EDS ->
              (ClusterLoadAssignment)
                  r.messages(Resources.V3.ENDPOINT_TYPE_URL)
                      .get(
                          c.getEdsClusterConfig().getServiceName().isEmpty()
                              ? name
                              : c.getEdsClusterConfig().getServiceName());
          case STATIC, STRICT_DNS, LOGICAL_DNS -> c.getLoadAssignment();
          default -> null; // ORIGINAL_DST: wherever the connection was going
        };
    if (cla != null) {
      for (LocalityLbEndpoints l : cla.getEndpointsList()) {
        for (LbEndpoint e : l.getLbEndpointsList()) {
          var a = e.getEndpoint().getAddress().getSocketAddress();
          endpoints.add(
              new Endpoint(
                  a.getAddress(),
                  a.getPortValue(),
                  locality(l.getLocality()),
                  l.getPriority(),
                  l.hasLoadBalancingWeight() ? l.getLoadBalancingWeight().getValue() : 0,
                  e.getHealthStatus().name(),
                  transport(c, e, clusterTls, upstreamHttp)));
        }
      }
    }
    CircuitBreakers.Thresholds t =
        c.getCircuitBreakers().getThresholdsCount() > 0
            ? c.getCircuitBreakers().getThresholds(0)
            : CircuitBreakers.Thresholds.getDefaultInstance();
    var od = c.getOutlierDetection();
    return new Upstream(
        name,
        c.getType().name(),
        c.getLbPolicy().name(),
        c.getCommonLbConfig().hasLocalityWeightedLbConfig(),
        c.hasOutlierDetection()
            ? new Outlier(
                od.hasConsecutive5Xx() ? od.getConsecutive5Xx().getValue() : 5,
                od.hasInterval() ? Simulation.duration(od.getInterval()) : "10s",
                od.hasBaseEjectionTime() ? Simulation.duration(od.getBaseEjectionTime()) : "30s",
                od.hasMaxEjectionPercent() ? od.getMaxEjectionPercent().getValue() : 10)
            : null,
        new Limits(
            limit(t.hasMaxConnections(), t.getMaxConnections(), DEFAULT_LIMIT),
            limit(t.hasMaxPendingRequests(), t.getMaxPendingRequests(), DEFAULT_LIMIT),
            limit(t.hasMaxRequests(), t.getMaxRequests(), DEFAULT_LIMIT),
            limit(t.hasMaxRetries(), t.getMaxRetries(), DEFAULT_RETRIES)),
        Simulation.duration(c.getConnectTimeout()),
        clusterTls,
        c.getTransportSocketMatchesCount() > 0,
        endpoints,
        null);
  }

  private static long limit(boolean set, UInt32Value v, long dflt) {
    return set ? Integer.toUnsignedLong(v.getValue()) : dflt;
  }

  private static String locality(Locality l) {
    return l.getRegion() + "/" + l.getZone() + "/" + l.getSubZone();
  }

  private static Tls transport(
      Cluster c, LbEndpoint e, Tls clusterTls, UpstreamHttpProtocolOptions upstreamHttp) {
    if (c.getTransportSocketMatchesCount() == 0) {
      return clusterTls;
    }
    Struct md =
        e.getMetadata().getFilterMetadataOrDefault(AutoMtls.MATCH_KEY, Struct.getDefaultInstance());
    for (Cluster.TransportSocketMatch m : c.getTransportSocketMatchesList()) {
      boolean all = true;
      for (Map.Entry<String, com.google.protobuf.Value> f :
          m.getMatch().getFieldsMap().entrySet()) {
        all &= f.getValue().equals(md.getFieldsMap().get(f.getKey()));
      }
      if (all) {
        return tls(m.getTransportSocket(), upstreamHttp);
      }
    }
    return clusterTls;
  }

  /** Auto SNI and SAN validation, in the cluster's HTTP protocol options. */
  private static UpstreamHttpProtocolOptions upstreamHttp(Cluster c) {
    Any o = c.getTypedExtensionProtocolOptionsMap().get(ClusterGenerator.HTTP_OPTIONS);
    return o == null
        ? UpstreamHttpProtocolOptions.getDefaultInstance()
        : unpack(o, HttpProtocolOptions.class).getUpstreamHttpProtocolOptions();
  }

  /**
   * What a transport socket does: nothing (plaintext), Istio mutual TLS (workload certificate
   * {@code default}, mesh root {@code ROOTCA}), mutual TLS with another certificate, or simple TLS.
   */
  static Tls tls(TransportSocket ts, UpstreamHttpProtocolOptions upstreamHttp) {
    if (ts == null || !ts.getName().equals(TlsContexts.TLS_SOCKET)) {
      return Tls.PLAINTEXT;
    }
    UpstreamTlsContext u = unpack(ts.getTypedConfig(), UpstreamTlsContext.class);
    CommonTlsContext c = u.getCommonTlsContext();
    String cert =
        c.getTlsCertificateSdsSecretConfigsCount() > 0
            ? c.getTlsCertificateSdsSecretConfigs(0).getName()
            : c.hasTlsCertificateProviderInstance()
                ? c.getTlsCertificateProviderInstance().getCertificateName()
                : null;
    String ca = trustedCa(c);
    TlsMode mode =
        Names.SDS_DEFAULT.equals(cert) && Names.SDS_ROOTCA.equals(ca)
            ? TlsMode.ISTIO_MUTUAL
            : cert != null ? TlsMode.MUTUAL : TlsMode.SIMPLE;
    CertificateValidationContext v = validation(c);
    return new Tls(
        mode,
        u.getSni().isEmpty() ? null : u.getSni(),
        upstreamHttp.getAutoSni(),
        upstreamHttp.getAutoSanValidation(),
        List.copyOf(c.getAlpnProtocolsList()),
        cert,
        ca,
        sans(v),
        v.hasCrl() ? v.getCrl().getFilename() : null);
  }

  /** The static part of the validation context (SANs, CRL), empty when there is none. */
  private static CertificateValidationContext validation(CommonTlsContext c) {
    if (c.hasCombinedValidationContext()) {
      return c.getCombinedValidationContext().getDefaultValidationContext();
    }
    return c.hasValidationContext()
        ? c.getValidationContext()
        : CertificateValidationContext.getDefaultInstance();
  }

  /** The names the server's certificate must carry, as exact matches. */
  @SuppressWarnings("deprecation") // the field Istio sets
  private static List<String> sans(CertificateValidationContext v) {
    List<String> out = new ArrayList<>();
    for (var m : v.getMatchSubjectAltNamesList()) {
      out.add(m.hasExact() ? m.getExact() : m.toString());
    }
    for (var m : v.getMatchTypedSubjectAltNamesList()) {
      out.add(m.getMatcher().hasExact() ? m.getMatcher().getExact() : m.toString());
    }
    return out;
  }

  /**
   * The name of the trusted roots (SDS or certificate provider), or null when nothing is verified.
   */
  static String trustedCa(CommonTlsContext c) {
    if (c.hasCombinedValidationContext()) {
      return c.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName();
    }
    if (c.hasValidationContextSdsSecretConfig()) {
      return c.getValidationContextSdsSecretConfig().getName();
    }
    if (c.hasValidationContext()) {
      var v = c.getValidationContext();
      if (v.hasCaCertificateProviderInstance()) {
        return v.getCaCertificateProviderInstance().getCertificateName();
      }
      if (v.hasTrustedCa()) {
        return "inline";
      }
    }
    return null;
  }

  static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
