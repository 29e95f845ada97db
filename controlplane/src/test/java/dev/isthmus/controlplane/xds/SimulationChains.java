package dev.isthmus.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code SimulationChains} picks a listener's filter chain for a new connection as Envoy's filter
 * chain manager does: the criteria in Envoy's order (destination port, destination IP, server name,
 * transport protocol, application protocols), keeping at each stage the most specific chains that
 * match and falling back to the chains that leave the criterion unset. There is no backtracking: a
 * connection to a port that has chains, none of them for its transport protocol, gets no chain even
 * if a port-less chain would have taken it. Without a chain the listener's default chain is used,
 * else the connection is closed. Source criteria are not modelled and fail loudly, as do two chains
 * with the same match (Envoy rejects such a listener).
 */
final class SimulationChains {
  static final String TLS = "tls";
  static final String RAW_BUFFER = "raw_buffer";

  private SimulationChains() {}

  /**
   * The chain for a connection to {@code port} ({@code ip} may be null), with its transport
   * protocol ({@code tls} as the TLS inspector detects it, else {@code raw_buffer}), SNI (null
   * without TLS) and ALPN values; null when the listener closes the connection.
   */
  static FilterChain select(
      Listener l, int port, String ip, boolean tls, String sni, List<String> alpn) {
    List<FilterChain> c = l.getFilterChainsList();
    c = stage(c, m -> m.hasDestinationPort(), m -> m.getDestinationPort().getValue() == port);
    c = destinationIp(c, ip);
    c = serverName(c, tls ? sni : null);
    String transport = tls ? TLS : RAW_BUFFER;
    c =
        stage(
            c,
            m -> !m.getTransportProtocol().isEmpty(),
            m -> m.getTransportProtocol().equals(transport));
    c = applicationProtocols(c, tls ? alpn : List.of());
    for (FilterChain fc : c) {
      FilterChainMatch m = fc.getFilterChainMatch();
      if (m.getDirectSourcePrefixRangesCount() > 0
          || m.getSourcePrefixRangesCount() > 0
          || m.getSourcePortsCount() > 0
          || m.getSourceType() != FilterChainMatch.ConnectionSourceType.ANY) {
        throw new UnsupportedOperationException(
            "source matching is not simulated: " + fc.getName());
      }
    }
    if (c.size() > 1) {
      throw new IllegalStateException(
          "Envoy rejects listener "
              + l.getName()
              + ": chains "
              + c.stream().map(FilterChain::getName).toList()
              + " have the same match");
    }
    if (c.isEmpty()) {
      return l.hasDefaultFilterChain() ? l.getDefaultFilterChain() : null;
    }
    return c.get(0);
  }

  /** Chains that set the criterion and match, else the chains that do not set it. */
  private static List<FilterChain> stage(
      List<FilterChain> in, Predicate<FilterChainMatch> sets, Predicate<FilterChainMatch> matches) {
    List<FilterChain> hit = new ArrayList<>();
    List<FilterChain> unset = new ArrayList<>();
    for (FilterChain fc : in) {
      FilterChainMatch m = fc.getFilterChainMatch();
      if (!sets.test(m)) {
        unset.add(fc);
      } else if (matches.test(m)) {
        hit.add(fc);
      }
    }
    return hit.isEmpty() ? unset : hit;
  }

  private static List<FilterChain> destinationIp(List<FilterChain> in, String ip) {
    int best = -1;
    for (FilterChain fc : in) {
      for (CidrRange r : fc.getFilterChainMatch().getPrefixRangesList()) {
        if (ip != null && contains(r, ip)) {
          best = Math.max(best, r.getPrefixLen().getValue());
        }
      }
    }
    int longest = best;
    return stage(
        in,
        m -> m.getPrefixRangesCount() > 0,
        m ->
            m.getPrefixRangesList().stream()
                .anyMatch(r -> r.getPrefixLen().getValue() == longest && contains(r, ip)));
  }

  private static boolean contains(CidrRange r, String ip) {
    if (ip == null) {
      return false;
    }
    try {
      byte[] a = InetAddress.getByName(r.getAddressPrefix()).getAddress();
      byte[] b = InetAddress.getByName(ip).getAddress();
      if (a.length != b.length) {
        return false;
      }
      int bits = r.getPrefixLen().getValue();
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >> (i % 8);
        if ((a[i / 8] & mask) != (b[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP literal: " + ip, e);
    }
  }

  /** The exact name, then wildcards from the longest suffix ({@code *.b.c} before {@code *.c}). */
  private static List<FilterChain> serverName(List<FilterChain> in, String sni) {
    if (sni != null) {
      List<String> candidates = new ArrayList<>();
      candidates.add(sni);
      for (int dot = sni.indexOf('.'); dot >= 0; dot = sni.indexOf('.', dot + 1)) {
        candidates.add("*" + sni.substring(dot));
      }
      for (String name : candidates) {
        List<FilterChain> hit =
            in.stream()
                .filter(fc -> fc.getFilterChainMatch().getServerNamesList().contains(name))
                .toList();
        if (!hit.isEmpty()) {
          return hit;
        }
      }
    }
    return in.stream().filter(fc -> fc.getFilterChainMatch().getServerNamesCount() == 0).toList();
  }

  /** The first of the connection's ALPN values some chain lists, else chains without ALPN. */
  private static List<FilterChain> applicationProtocols(List<FilterChain> in, List<String> alpn) {
    for (String a : alpn) {
      List<FilterChain> hit =
          in.stream()
              .filter(fc -> fc.getFilterChainMatch().getApplicationProtocolsList().contains(a))
              .toList();
      if (!hit.isEmpty()) {
        return hit;
      }
    }
    return in.stream()
        .filter(fc -> fc.getFilterChainMatch().getApplicationProtocolsCount() == 0)
        .toList();
  }
}
