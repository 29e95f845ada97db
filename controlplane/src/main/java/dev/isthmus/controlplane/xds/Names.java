package dev.isthmus.controlplane.xds;

/** {@code Names} builds resource names in the format Istio tooling ({@code istioctl}) expects. */
public final class Names {
  /** Cluster that drops traffic. */
  public static final String BLACKHOLE = "BlackHoleCluster";

  /** Cluster that forwards to the original destination. */
  public static final String PASSTHROUGH = "PassthroughCluster";

  /** Outbound capture listener of a sidecar. */
  public static final String VIRTUAL_OUTBOUND = "virtualOutbound";

  /** Inbound capture listener of a sidecar. */
  public static final String VIRTUAL_INBOUND = "virtualInbound";

  /** SDS name of the workload certificate. */
  public static final String SDS_DEFAULT = "default";

  /** SDS name of the mesh root certificate. */
  public static final String SDS_ROOTCA = "ROOTCA";

  private Names() {}

  /** {@code outbound|<port>|<subset>|<host>}. */
  public static String outboundCluster(int port, String subset, String host) {
    return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + host;
  }

  /** {@code inbound|<port>||}. */
  public static String inboundCluster(int port) {
    return "inbound|" + port + "||";
  }

  /** Host part of an outbound cluster name, or null when the name is not one. */
  public static String hostOfCluster(String cluster) {
    if (!cluster.startsWith("outbound|")) {
      return null;
    }
    int last = cluster.lastIndexOf('|');
    return cluster.substring(last + 1);
  }

  /** SNI Istio uses for mTLS to a cluster: {@code outbound_.<port>_.<subset>_.<host>}. */
  public static String sni(int port, String subset, String host) {
    return "outbound_." + port + "_." + (subset == null ? "" : subset) + "_." + host;
  }
}
