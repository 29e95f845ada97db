package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.ServicePort;
import dev.isthmus.controlplane.model.Workload;
import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code GatewayServers} selects the Gateway servers that apply to a gateway proxy. */
final class GatewayServers {
  private GatewayServers() {}

  /** A server of a Gateway, with the Gateway's identity. */
  record Bound(String namespace, String name, int index, Server server) {
    String key() {
      return namespace + "/" + name;
    }
  }

  static final String GATEWAY_SERVICE = ConfigEntry.GATEWAY_SERVICE;

  static List<Bound> forProxy(MeshSnapshot mesh, ProxyNode proxy) {
    Workload w = mesh.workloads().get(proxy.ip());
    Map<String, String> labels = w != null ? w.labels() : proxy.labels();
    String namespace = w != null ? w.namespace() : proxy.namespace();
    List<Bound> out = new ArrayList<>();
    for (ConfigEntry<Gateway> g : mesh.gateways()) {
      Map<String, String> sel = g.spec().getSelector() == null ? Map.of() : g.spec().getSelector();
      if (!sel.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
        continue;
      }
      String service = g.annotations().get(GATEWAY_SERVICE);
      if (service != null
          && java.util.Arrays.stream(service.split(","))
              .noneMatch(h -> namespace.equals(serviceNamespace(h.trim())))) {
        // a derived Gateway is its Service's, whose workloads share its namespace: labels that
        // match in another namespace do not make a proxy that gateway
        continue;
      }
      List<Server> servers = g.spec().getServers() == null ? List.of() : g.spec().getServers();
      for (int i = 0; i < servers.size(); i++) {
        Server s = servers.get(i);
        if (s.getPort() != null && s.getPort().getNumber() != null) {
          out.add(new Bound(g.namespace(), g.name(), i, s));
        }
      }
    }
    return out;
  }

  /** The namespace in a Service hostname {@code <name>.<namespace>.svc.<domain>}. */
  static String serviceNamespace(String hostname) {
    String[] parts = hostname.split("\\.");
    return parts.length > 1 ? parts[1] : "";
  }

  static ServicePort.Protocol protocol(Server s) {
    return ServicePort.Protocol.parse(s.getPort().getProtocol());
  }

  /** HTTP served in clear (or HTTPS terminated here, which routes like HTTP). */
  static boolean isPlainHttp(Server s) {
    return protocol(s).isHttp();
  }

  static boolean terminatesTls(Server s) {
    return s.getTls() != null
        && s.getTls().getMode() != null
        && s.getTls().getMode() != ServerTLSSettingsTLSmode.PASSTHROUGH
        && s.getTls().getMode() != ServerTLSSettingsTLSmode.AUTO_PASSTHROUGH;
  }

  /** Whether a VirtualService host is exposed by the server ({@code ns/host} forms included). */
  static boolean hostAllowed(Server s, String host) {
    if (s.getHosts() == null) {
      return false;
    }
    for (String h : s.getHosts()) {
      String pattern = h.contains("/") ? h.substring(h.indexOf('/') + 1) : h;
      if (ConfigLookup.hostMatches(pattern, host) || ConfigLookup.hostMatches(host, pattern)) {
        return true;
      }
    }
    return false;
  }

  /** Host names of a server without namespace prefixes. */
  static List<String> hosts(Server s) {
    List<String> out = new ArrayList<>();
    if (s.getHosts() != null) {
      for (String h : s.getHosts()) {
        out.add(h.contains("/") ? h.substring(h.indexOf('/') + 1) : h);
      }
    }
    return out;
  }
}
