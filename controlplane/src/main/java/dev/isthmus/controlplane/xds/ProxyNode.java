package dev.isthmus.controlplane.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code ProxyNode} is the identity of an xDS client parsed from its node id and metadata, in
 * Istio's format {@code <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>}.
 *
 * @param id the full node id, the key of all per-proxy state
 * @param type sidecar, gateway router or proxyless gRPC
 * @param ip the proxy's IP address
 * @param podName pod (or workload) name
 * @param namespace namespace of the proxy
 * @param labels labels from node metadata {@code LABELS}
 * @param locality the node's {@code region/zone/subzone} (empty parts allowed), or empty
 * @param dnsCapture whether the proxy's agent answers DNS itself (metadata {@code DNS_CAPTURE},
 *     from {@code ISTIO_META_DNS_CAPTURE}) and so asks for the DNS name table
 */
public record ProxyNode(
    String id,
    Type type,
    String ip,
    String podName,
    String namespace,
    Map<String, String> labels,
    String locality,
    boolean dnsCapture) {

  /** Kind of xDS client. */
  public enum Type {
    SIDECAR,
    ROUTER,
    PROXYLESS_GRPC
  }

  public ProxyNode {
    labels = Map.copyOf(labels);
    locality = locality == null ? "" : locality;
  }

  /** A proxy without a known locality whose agent does not answer DNS. */
  public ProxyNode(
      String id,
      Type type,
      String ip,
      String podName,
      String namespace,
      Map<String, String> labels) {
    this(id, type, ip, podName, namespace, labels, "", false);
  }

  /** The same proxy as another type. */
  public ProxyNode withType(Type other) {
    return new ProxyNode(id, other, ip, podName, namespace, labels, locality, dnsCapture);
  }

  /** The same proxy in another locality ({@code region/zone/subzone}). */
  public ProxyNode withLocality(String other) {
    return new ProxyNode(id, type, ip, podName, namespace, labels, other, dnsCapture);
  }

  /**
   * Parses an xDS {@link Node}.
   *
   * @throws IllegalArgumentException naming the malformed part when the id is not in Istio's format
   */
  public static ProxyNode parse(Node node) {
    String id = node.getId();
    String[] parts = id.split("~", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException(
          "node.id: expected <type>~<ip>~<pod>.<namespace>~<domain>, got '" + id + "'");
    }
    Struct md = node.getMetadata();
    boolean grpc = "grpc".equals(string(md, "GENERATOR"));
    Type type =
        switch (parts[0]) {
          case "sidecar" -> grpc ? Type.PROXYLESS_GRPC : Type.SIDECAR;
          case "router" -> Type.ROUTER;
          default ->
              throw new IllegalArgumentException(
                  "node.id: unknown proxy type '" + parts[0] + "', expected sidecar or router");
        };
    String ip = parts[1];
    String podName = parts[2];
    String namespace = string(md, "NAMESPACE");
    int dot = parts[2].lastIndexOf('.');
    if (dot > 0) {
      podName = parts[2].substring(0, dot);
      if (namespace.isEmpty()) {
        namespace = parts[2].substring(dot + 1);
      }
    }
    if (namespace.isEmpty()) {
      int d = parts[3].indexOf('.');
      namespace = d > 0 ? parts[3].substring(0, d) : parts[3];
    }
    if (namespace.isEmpty()) {
      throw new IllegalArgumentException("node.id: no namespace in '" + id + "'");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    Value l = md.getFieldsMap().get("LABELS");
    if (l != null && l.hasStructValue()) {
      l.getStructValue().getFieldsMap().forEach((k, v) -> labels.put(k, v.getStringValue()));
    }
    var loc = node.getLocality();
    String locality =
        loc.getRegion().isEmpty() && loc.getZone().isEmpty() && loc.getSubZone().isEmpty()
            ? ""
            : loc.getRegion() + "/" + loc.getZone() + "/" + loc.getSubZone();
    boolean dnsCapture = "true".equalsIgnoreCase(string(md, "DNS_CAPTURE"));
    return new ProxyNode(id, type, ip, podName, namespace, labels, locality, dnsCapture);
  }

  private static String string(Struct md, String key) {
    Value v = md.getFieldsMap().get(key);
    return v == null ? "" : v.getStringValue();
  }
}
