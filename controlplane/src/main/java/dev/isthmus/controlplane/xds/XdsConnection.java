package dev.isthmus.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code XdsConnection} is one ADS stream: the proxy on it, and per type URL what was last sent,
 * acknowledged and rejected. It is what {@code /debug/syncz} and {@code /debug/adsz} report.
 */
public final class XdsConnection {
  private static final Logger LOG = LoggerFactory.getLogger(XdsConnection.class);

  /** Per-type sync state. */
  public static final class TypeState {
    volatile String sentVersion = "";
    volatile String sentNonce = "";
    volatile String ackedVersion = "";
    volatile String lastNack = "";
    volatile long responses;
    volatile boolean awaitingAnswer;

    /** As a JSON-friendly map. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new TreeMap<>();
      m.put("sent", sentVersion);
      m.put("nonce", sentNonce);
      m.put("acked", ackedVersion);
      m.put("responses", responses);
      if (!lastNack.isEmpty()) {
        m.put("lastNack", lastNack);
      }
      return m;
    }
  }

  private final long id;
  private final boolean delta;
  private final String peer;
  private final Instant connectedAt = Instant.now();
  private final Map<String, TypeState> types = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Node streamNode;
  private volatile ProxyNode proxy;
  private volatile String clusterId = "";
  private volatile String istioVersion = "";
  private volatile String identity;

  XdsConnection(long id, boolean delta, String peer) {
    this.id = id;
    this.delta = delta;
    this.peer = peer;
    this.streamNode = Node.newBuilder().setId(key()).build();
  }

  /**
   * The key of this stream's state in the {@link XdsCache}: chosen here, never by the client, and
   * different for every stream.
   */
  String key() {
    return "stream-" + id;
  }

  /** Stream id, unique within this control plane. */
  public long id() {
    return id;
  }

  /** The proxy, once its first request arrived. */
  public ProxyNode proxy() {
    return proxy;
  }

  /** The node forwarded to the discovery server with every request of this stream. */
  Node streamNode() {
    return streamNode;
  }

  /** The identity the transport proved for the caller, or null on an unauthenticated stream. */
  String identity() {
    return identity;
  }

  void bind(ProxyNode proxy, String identity) {
    this.identity = identity;
    this.proxy = proxy;
  }

  /**
   * What the proxy says about itself for {@code /debug/syncz} ({@code istioctl proxy-status}'s
   * CLUSTER and VERSION): client-chosen, shown and never trusted, cut to a label's length.
   */
  void describe(String clusterId, String istioVersion) {
    this.clusterId = shorten(clusterId);
    this.istioVersion = shorten(istioVersion);
  }

  private static String shorten(String s) {
    return s == null ? "" : s.length() > 63 ? s.substring(0, 63) : s;
  }

  boolean markClosed() {
    return closed.compareAndSet(false, true);
  }

  boolean closed() {
    return closed.get();
  }

  /**
   * Sync state of a type, kept per {@linkplain XdsMetrics#typeLabel type label}: the map holds at
   * most one entry per label of a closed set, whatever type URLs a client invents.
   */
  TypeState type(String typeUrl) {
    return types.computeIfAbsent(XdsMetrics.typeLabel(typeUrl), k -> new TypeState());
  }

  void sent(String typeUrl, String version, String nonce) {
    TypeState t = type(typeUrl);
    t.sentVersion = version;
    t.sentNonce = nonce;
    t.responses++;
    t.awaitingAnswer = true;
  }

  /** Whether {@code nonce} is the type's last response and the proxy has not answered it yet. */
  boolean awaits(String typeUrl, String nonce) {
    TypeState t = types.get(XdsMetrics.typeLabel(typeUrl));
    return t != null && t.awaitingAnswer && nonce.equals(t.sentNonce);
  }

  /** Whether any response of {@code typeUrl}'s type went out on this stream. */
  boolean sentAny(String typeUrl) {
    TypeState t = types.get(XdsMetrics.typeLabel(typeUrl));
    return t != null && t.responses > 0;
  }

  /**
   * Records the proxy's answer to a response.
   *
   * @return true when it was a NACK
   */
  boolean answered(String typeUrl, String nonce, String version, String error) {
    TypeState t = types.get(XdsMetrics.typeLabel(typeUrl));
    if (t == null || nonce.isEmpty() || !nonce.equals(t.sentNonce)) {
      return false;
    }
    t.awaitingAnswer = false;
    if (error != null) {
      t.lastNack = error;
      LOG.warn(
          "proxy {} rejected {} version {} (keeps version {}): {}",
          proxy == null ? "?" : proxy.id(),
          XdsMetrics.typeLabel(typeUrl),
          t.sentVersion,
          t.ackedVersion.isEmpty() ? "none" : t.ackedVersion,
          error);
      return true;
    }
    t.ackedVersion = delta ? t.sentVersion : version;
    return false;
  }

  /** State for {@code /debug/syncz} and {@code /debug/adsz}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new TreeMap<>();
    m.put("connectionId", id);
    m.put("proxy", proxy == null ? "" : proxy.id());
    m.put("proxyType", proxy == null ? "" : proxy.type().name());
    m.put("peer", peer);
    m.put("identity", identity == null ? "" : identity);
    m.put("protocol", delta ? "delta" : "sotw");
    m.put("clusterId", clusterId);
    m.put("istioVersion", istioVersion);
    m.put("connectedAt", connectedAt.toString());
    Map<String, Object> t = new TreeMap<>();
    types.forEach((k, v) -> t.put(k, v.toMap()));
    m.put("types", t);
    return m;
  }
}
