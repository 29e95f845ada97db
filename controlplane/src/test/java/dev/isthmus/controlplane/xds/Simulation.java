package dev.isthmus.controlplane.xds;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code Simulation} plays the part of Envoy for one call against the resources the control plane
 * generated for a proxy, in the spirit of Istio's {@code *_simulation_test.go}. Outbound HTTP: the
 * listener of the port, its filter chain (see {@link SimulationChains}), connection manager, route
 * configuration, virtual host and route, and what the route does (see {@link SimulationRoutes});
 * outbound TCP and TLS: the listener of the address, the chain for the SNI, the TCP proxy; inbound:
 * the {@code virtualInbound} chain for the port and the TLS the peer presents, whether the
 * connection is accepted and where it goes. Every cluster an outcome names is read as the proxy
 * would use it (see {@link SimulationClusters}). It is a stand-in for Envoy, not Envoy: it covers
 * what the control plane emits, and fails loudly on a matcher it does not know.
 */
final class Simulation {
  private Simulation() {}

  /**
   * A request: destination port, {@code Host}, path (with query), method, headers (lower case) and,
   * over TLS, the SNI (null for plaintext).
   */
  record Call(
      int port, String host, String path, String method, Map<String, String> headers, String sni) {
    static Call get(int port, String host, String path) {
      return new Call(port, host, path, "GET", Map.of(), null);
    }

    Call with(String header, String value) {
      Map<String, String> h = new TreeMap<>(headers);
      h.put(header.toLowerCase(), value);
      return new Call(port, host, path, method, h, sni);
    }

    Call method(String m) {
      return new Call(port, host, path, m, headers, sni);
    }

    Call tls(String serverName) {
      return new Call(port, host, path, method, headers, serverName);
    }
  }

  /** A redirect: the status code and the {@code Location} the client gets. */
  record Redirect(int code, String location) {}

  /** A direct response: status and body. */
  record Direct(int status, String body) {}

  /** The route's retry policy (or the virtual host's). */
  record Retry(int attempts, String retryOn, List<Integer> statusCodes, String perTryTimeout) {}

  /** Fault injection that applies to the route: abort (HTTP or gRPC status) and delay. */
  record Fault(
      Integer abortStatus,
      Integer abortGrpcStatus,
      double abortPercent,
      String delay,
      double delayPercent) {}

  /** The CORS policy of the route; {@code originAllowed} for the call's {@code Origin}, if any. */
  record Cors(String allowMethods, Boolean originAllowed) {}

  /**
   * What the proxy does with an HTTP call: the route's cluster (or weighted clusters), redirect or
   * direct response; the path and authority the upstream sees after rewrites; the timeout ({@code
   * 0s}: none; Envoy's {@code 15s} when the route sets none), retries, fault, mirrors (cluster to
   * percent) and CORS; each named cluster as {@link Upstream}; {@code error} says why nothing
   * matched.
   */
  record Outcome(
      String listener,
      String virtualHost,
      String route,
      String cluster,
      Map<String, Integer> weighted,
      Redirect redirect,
      Direct direct,
      String upstreamPath,
      String upstreamHost,
      String timeout,
      Retry retry,
      Fault fault,
      Map<String, Double> mirrors,
      Cors cors,
      Map<String, Upstream> upstreams,
      String error) {
    static Outcome error(String listener, String why) {
      return new Outcome(
          listener, null, null, null, Map.of(), null, null, null, null, null, null, null, Map.of(),
          null, Map.of(), why);
    }

    /** The single cluster the route sends to, or null. */
    Upstream upstream() {
      return cluster == null ? null : upstreams.get(cluster);
    }
  }

  /** Upstream TLS a proxy originates. */
  enum TlsMode {
    PLAINTEXT,
    /** Workload certificate and mesh root over SDS ({@code default}, {@code ROOTCA}). */
    ISTIO_MUTUAL,
    /** Server verification only. */
    SIMPLE,
    /** A client certificate other than the workload's. */
    MUTUAL
  }

  /**
   * A transport: mode, SNI (or {@code autoSni}: the request's {@code Host}, which with {@code
   * autoSanValidation} the server's certificate must name), ALPN, the client certificate (its SDS
   * name: {@code default}, {@code kubernetes://<secret>}, {@code file-cert:<cert>~<key>}) and how
   * the server is verified: the roots (SDS name: {@code ROOTCA}, {@code
   * kubernetes://<secret>-cacert}, {@code file-root:<path>}, {@code file-root:system} for the
   * system's roots; null: not verified), the names its certificate must carry ({@code sans}, empty:
   * any) and the CRL file.
   */
  record Tls(
      TlsMode mode,
      String sni,
      boolean autoSni,
      boolean autoSanValidation,
      List<String> alpn,
      String certificate,
      String trustedCa,
      List<String> sans,
      String crl) {
    static final Tls PLAINTEXT =
        new Tls(TlsMode.PLAINTEXT, null, false, false, List.of(), null, null, List.of(), null);

    /** Whether the server is verified against the operating system's roots. */
    boolean systemRoots() {
      return "file-root:system".equals(trustedCa);
    }

    /**
     * Whether a server presenting a certificate for {@code identity} (from roots the client trusts)
     * passes the client's name check.
     */
    boolean acceptsServer(String identity) {
      return mode != TlsMode.PLAINTEXT && (sans.isEmpty() || sans.contains(identity));
    }

    /** Whether TLS is originated without verifying the server at all. */
    boolean skipsVerification() {
      return mode != TlsMode.PLAINTEXT && trustedCa == null;
    }
  }

  /** An endpoint: address, locality {@code region/zone/subzone}, priority, health and transport. */
  record Endpoint(
      String address,
      int port,
      String locality,
      int priority,
      int localityWeight,
      String health,
      Tls tls) {}

  /** Outlier detection with Envoy's defaults for unset fields. */
  record Outlier(
      int consecutive5xx, String interval, String baseEjectionTime, int maxEjectionPercent) {}

  /** Circuit-breaker limits of the default priority, Envoy's defaults where unset. */
  record Limits(long maxConnections, long maxPendingRequests, long maxRequests, long maxRetries) {}

  /**
   * A cluster as the proxy uses it: discovery type, load balancer, locality-weighted balancing,
   * outlier detection (null: none), limits, connect timeout, its own transport, whether the
   * transport is chosen per endpoint (automatic mutual TLS), and endpoints; {@code error} when the
   * proxy has no such cluster (Envoy answers 503).
   */
  record Upstream(
      String name,
      String type,
      String lb,
      boolean localityWeighted,
      Outlier outlier,
      Limits limits,
      String connectTimeout,
      Tls tls,
      boolean tlsPerEndpoint,
      List<Endpoint> endpoints,
      String error) {
    static Upstream missing(String name) {
      return new Upstream(
          name, null, null, false, null, null, null, null, false, List.of(), "no cluster " + name);
    }

    Endpoint endpoint(String address) {
      return endpoints.stream().filter(e -> e.address().equals(address)).findFirst().orElse(null);
    }

    /** Each endpoint as {@code <address> <zone> p<priority> w<locality weight>}. */
    List<String> priorities() {
      return endpoints.stream()
          .map(
              e ->
                  e.address()
                      + " "
                      + e.locality().split("/", -1)[1]
                      + " p"
                      + e.priority()
                      + " w"
                      + e.localityWeight())
          .toList();
    }
  }

  /** Where a TCP connection goes: the tcp_proxy's cluster or weighted clusters. */
  record Connection(
      String listener,
      String chain,
      String cluster,
      Map<String, Integer> weighted,
      Map<String, Upstream> upstreams,
      String error) {
    Upstream upstream() {
      return cluster == null ? null : upstreams.get(cluster);
    }
  }

  /** A client certificate: none, one from the mesh CA, one from another CA. */
  enum Cert {
    NONE,
    MESH,
    OTHER
  }

  /** A connection arriving at a sidecar's inbound listener. */
  record Peer(int port, boolean tls, Cert cert, List<String> alpn, String sni) {
    static Peer plaintext(int port) {
      return new Peer(port, false, Cert.NONE, List.of(), null);
    }

    /** What an Istio client sends: mesh certificate, Istio's ALPN. */
    static Peer mtls(int port) {
      return new Peer(port, true, Cert.MESH, List.of("istio-peer-exchange", "istio"), null);
    }

    /** The application's own TLS: no client certificate, no Istio ALPN. */
    static Peer tls(int port) {
      return new Peer(port, true, Cert.NONE, List.of("h2", "http/1.1"), null);
    }

    /** What a client proxy presents to {@code e} over the transport it chose for it. */
    static Peer from(Endpoint e) {
      Tls t = e.tls();
      return switch (t.mode()) {
        case PLAINTEXT -> plaintext(e.port());
        case ISTIO_MUTUAL -> new Peer(e.port(), true, Cert.MESH, t.alpn(), t.sni());
        case SIMPLE -> new Peer(e.port(), true, Cert.NONE, t.alpn(), t.sni());
        case MUTUAL -> new Peer(e.port(), true, Cert.OTHER, t.alpn(), t.sni());
      };
    }
  }

  /** How an accepted connection is secured. */
  enum Security {
    /** TLS terminated by the proxy with a verified client certificate. */
    MUTUAL_TLS,
    /** TLS terminated by the proxy, no client certificate. */
    TLS,
    /** TLS passed to the application as it is. */
    TLS_PASSTHROUGH,
    PLAINTEXT
  }

  /** The inbound chain a connection lands on, and where it goes, or why it is refused. */
  record Arrival(String chain, Security security, String cluster, String refused) {
    boolean accepted() {
      return refused == null;
    }
  }

  /** Routes {@code call} through the listener of its port ({@code 0.0.0.0_<port>}). */
  static Outcome outbound(ProxyResources r, Call call) {
    String name = "0.0.0.0_" + call.port();
    Listener l = (Listener) r.messages(Resources.V3.LISTENER_TYPE_URL).get(name);
    if (l == null) {
      return Outcome.error(null, "no listener " + name);
    }
    FilterChain fc =
        SimulationChains.select(l, call.port(), null, call.sni() != null, call.sni(), List.of());
    if (fc == null) {
      return Outcome.error(name, "no filter chain of " + name + " accepts the connection");
    }
    if (fc.hasTransportSocket()
        && downstream(fc).getRequireClientCertificate().getValue()
        && call.sni() != null) {
      return Outcome.error(name, "client certificate required");
    }
    var f = fc.getFiltersList().stream().filter(x -> x.getName().equals(ListenerGenerator.HCM));
    HttpConnectionManager hcm =
        f.findFirst()
            .map(x -> SimulationClusters.unpack(x.getTypedConfig(), HttpConnectionManager.class))
            .orElse(null);
    if (hcm == null) {
      return Outcome.error(name, "listener " + name + " is not HTTP");
    }
    RouteConfiguration rc = routeConfiguration(r, hcm);
    if (rc == null) {
      return Outcome.error(name, "no route configuration " + hcm.getRds().getRouteConfigName());
    }
    return SimulationRoutes.route(r, name, hcm, rc, call);
  }

  static RouteConfiguration routeConfiguration(ProxyResources r, HttpConnectionManager hcm) {
    return hcm.hasRouteConfig()
        ? hcm.getRouteConfig()
        : (RouteConfiguration)
            r.messages(Resources.V3.ROUTE_TYPE_URL).get(hcm.getRds().getRouteConfigName());
  }

  /**
   * Walks a TCP connection to {@code ip:port} (with TLS {@code sni}, or null for plain TCP): the
   * listener {@code <ip>_<port>}, else {@code 0.0.0.0_<port>}, then the chain for the connection,
   * then its {@code tcp_proxy}.
   */
  static Connection connect(ProxyResources r, String ip, int port, String sni) {
    var listeners = r.messages(Resources.V3.LISTENER_TYPE_URL);
    Listener l = (Listener) listeners.get(ip + "_" + port);
    if (l == null) {
      l = (Listener) listeners.get("0.0.0.0_" + port);
    }
    if (l == null) {
      return new Connection(
          null, null, null, Map.of(), Map.of(), "no listener for " + ip + ":" + port);
    }
    FilterChain fc = SimulationChains.select(l, port, ip, sni != null, sni, List.of());
    if (fc == null) {
      return new Connection(
          l.getName(), null, null, Map.of(), Map.of(), "no filter chain accepts the connection");
    }
    TcpProxy t = tcpProxy(fc);
    if (t == null) {
      return new Connection(l.getName(), fc.getName(), null, Map.of(), Map.of(), "not TCP");
    }
    Map<String, Integer> weighted = new LinkedHashMap<>();
    t.getWeightedClusters()
        .getClustersList()
        .forEach(w -> weighted.put(w.getName(), w.getWeight()));
    String cluster = t.getCluster().isEmpty() ? null : t.getCluster();
    Map<String, Upstream> upstreams = new LinkedHashMap<>();
    if (cluster != null) {
      upstreams.put(cluster, upstream(r, cluster));
    }
    weighted.keySet().forEach(w -> upstreams.put(w, upstream(r, w)));
    return new Connection(l.getName(), fc.getName(), cluster, weighted, upstreams, null);
  }

  /**
   * A connection arriving at the sidecar's {@code virtualInbound} listener: the chain Envoy picks
   * for its port and TLS, then whether the handshake succeeds (a chain terminating TLS needs TLS,
   * and a client certificate from the roots it trusts when it requires one), then where the chain
   * sends it. TLS reaching an HTTP connection manager untouched is a protocol error.
   */
  static Arrival inbound(ProxyResources r, Peer peer) {
    Listener l = (Listener) r.messages(Resources.V3.LISTENER_TYPE_URL).get(Names.VIRTUAL_INBOUND);
    if (l == null) {
      return new Arrival(null, null, null, "no " + Names.VIRTUAL_INBOUND + " listener");
    }
    FilterChain fc =
        SimulationChains.select(l, peer.port(), null, peer.tls(), peer.sni(), peer.alpn());
    if (fc == null) {
      return new Arrival(null, null, null, "no filter chain for port " + peer.port());
    }
    Security security;
    if (fc.hasTransportSocket()
        && fc.getTransportSocket().getName().equals(TlsContexts.TLS_SOCKET)) {
      if (!peer.tls()) {
        return new Arrival(fc.getName(), null, null, "plaintext on a chain that terminates TLS");
      }
      DownstreamTlsContext d = downstream(fc);
      String trusted = SimulationClusters.trustedCa(d.getCommonTlsContext());
      boolean meshRoots = Names.SDS_ROOTCA.equals(trusted);
      if (peer.cert() == Cert.NONE && d.getRequireClientCertificate().getValue()) {
        return new Arrival(fc.getName(), null, null, "client certificate required");
      }
      if (peer.cert() != Cert.NONE && trusted != null && meshRoots != (peer.cert() == Cert.MESH)) {
        return new Arrival(fc.getName(), null, null, "client certificate not from " + trusted);
      }
      security = peer.cert() == Cert.NONE ? Security.TLS : Security.MUTUAL_TLS;
    } else {
      security = peer.tls() ? Security.TLS_PASSTHROUGH : Security.PLAINTEXT;
    }
    for (var f : fc.getFiltersList()) {
      if (f.getName().equals(ListenerGenerator.HCM)) {
        if (security == Security.TLS_PASSTHROUGH) {
          return new Arrival(fc.getName(), security, null, "TLS on an HTTP chain: protocol error");
        }
        var hcm = SimulationClusters.unpack(f.getTypedConfig(), HttpConnectionManager.class);
        Outcome o =
            SimulationRoutes.route(
                r, l.getName(), hcm, routeConfiguration(r, hcm), Call.get(peer.port(), "x", "/"));
        return new Arrival(fc.getName(), security, o.cluster(), o.error());
      }
    }
    TcpProxy t = tcpProxy(fc);
    return t == null
        ? new Arrival(fc.getName(), security, null, "no terminal filter")
        : new Arrival(fc.getName(), security, t.getCluster(), null);
  }

  /** The cluster as the proxy would use it. */
  static Upstream upstream(ProxyResources r, String cluster) {
    return SimulationClusters.upstream(r, cluster);
  }

  private static TcpProxy tcpProxy(FilterChain fc) {
    return fc.getFiltersList().stream()
        .filter(f -> f.getName().equals(ListenerGenerator.TCP_PROXY))
        .findFirst()
        .map(f -> SimulationClusters.unpack(f.getTypedConfig(), TcpProxy.class))
        .orElse(null);
  }

  private static DownstreamTlsContext downstream(FilterChain fc) {
    return SimulationClusters.unpack(
        fc.getTransportSocket().getTypedConfig(), DownstreamTlsContext.class);
  }

  /** {@code 3s}, {@code 250ms}, {@code 0s}. */
  static String duration(com.google.protobuf.Duration d) {
    long ms = d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  /**
   * Asserts that a case's outcome satisfies its expectation; a part of the outcome that is missing
   * (a null on the way) fails the case with the outcome in the message rather than with an error.
   */
  static <T> void expect(
      String name, T outcome, java.util.function.Predicate<T> expect, String says) {
    boolean ok;
    try {
      ok = expect.test(outcome);
    } catch (NullPointerException e) {
      ok = false;
    }
    org.assertj.core.api.Assertions.assertThat(ok)
        .as("%s: expected %s, got %s", name, says, outcome)
        .isTrue();
  }
}
