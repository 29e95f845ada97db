package dev.isthmus.controlplane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.xds.AdsService;
import dev.isthmus.controlplane.xds.XdsConnection;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code DebugViews} renders Istio's {@code /debug/*} endpoints as JSON. */
final class DebugViews {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();

  private DebugViews() {}

  /**
   * Per connected proxy and type: sent, acknowledged and rejected versions, with the proxy's
   * cluster and Istio version and the name of this control plane ({@code istioctl proxy-status}).
   */
  static String syncz(AdsService ads, String istiod) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (XdsConnection c : ads.connections()) {
      Map<String, Object> m = c.toMap();
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("proxy", m.get("proxy"));
      s.put("proxyType", m.get("proxyType"));
      s.put("connectionId", m.get("connectionId"));
      s.put("clusterId", m.get("clusterId"));
      s.put("istioVersion", m.get("istioVersion"));
      s.put("istiod", istiod);
      s.put("types", m.get("types"));
      out.add(s);
    }
    return write(out);
  }

  /** Connections. */
  static String adsz(AdsService ads) {
    Map<String, Object> m = new LinkedHashMap<>();
    List<Map<String, Object>> clients = new ArrayList<>();
    ads.connections().forEach(c -> clients.add(c.toMap()));
    m.put("totalClients", clients.size());
    m.put("clients", clients);
    return write(m);
  }

  /** The configuration the control plane works from, and what it rejected. */
  static String configz(MeshSnapshot mesh) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("services", new ArrayList<>(mesh.services().keySet()));
    m.put("VirtualService", entries(mesh.virtualServices()));
    m.put("DestinationRule", entries(mesh.destinationRules()));
    m.put("Gateway", entries(mesh.gateways()));
    m.put("Sidecar", entries(mesh.sidecars()));
    m.put("PeerAuthentication", entries(mesh.peerAuthentications()));
    m.put("AuthorizationPolicy", entries(mesh.policies().authorizationPolicies()));
    m.put("RequestAuthentication", entries(mesh.policies().requestAuthentications()));
    m.put("rejected", new TreeMap<>(mesh.rejected()));
    return write(m);
  }

  private static List<Map<String, Object>> entries(List<? extends ConfigEntry<?>> list) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ConfigEntry<?> e : list) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("namespace", e.namespace());
      m.put("name", e.name());
      try {
        m.put("spec", JSON.readTree(KUBE.asJson(e.spec())));
      } catch (JsonProcessingException | RuntimeException ex) {
        m.put("spec", String.valueOf(e.spec()));
      }
      out.add(m);
    }
    return out;
  }

  private static String write(Object o) {
    try {
      return JSON.writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
