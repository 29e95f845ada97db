package dev.isthmus.controlplane.webhooks.validation;

import static dev.isthmus.controlplane.webhooks.validation.VirtualServiceRules.nn;

import dev.isthmus.controlplane.discovery.ConfigValidator;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.Sidecar;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code NetworkingRules} validates the networking.istio.io kinds other than VirtualService. */
final class NetworkingRules {
  private static final Set<String> PROTOCOLS =
      Set.of(
          "HTTP",
          "HTTPS",
          "GRPC",
          "GRPC-WEB",
          "HTTP2",
          "MONGO",
          "REDIS",
          "MYSQL",
          "TCP",
          "TLS",
          "UDP",
          "HBONE",
          "DOUBLE-HBONE");

  private NetworkingRules() {}

  static void destinationRule(DestinationRule dr, Problems p) {
    if (Checks.isBlank(dr.getHost())) {
      p.error("spec.host", "destination rule must have a host");
    } else {
      Checks.wildcardHost(p, "spec.host", dr.getHost());
    }
    trafficPolicy(dr.getTrafficPolicy(), "spec.trafficPolicy", p);
    Set<String> names = new HashSet<>();
    var subsets = nn(dr.getSubsets());
    for (int i = 0; i < subsets.size(); i++) {
      var s = subsets.get(i);
      String path = "spec.subsets[" + i + "]";
      if (!Checks.isDns1123Label(s.getName())) {
        p.error(
            path + ".name", "subset name is invalid: " + Checks.quote(String.valueOf(s.getName())));
      } else if (!names.add(s.getName())) {
        p.error(path + ".name", "duplicate subset names: " + s.getName());
      }
      Checks.labels(p, path + ".labels", s.getLabels());
      trafficPolicy(s.getTrafficPolicy(), path + ".trafficPolicy", p);
    }
    sidecarCredential(dr, p);
  }

  private static void trafficPolicy(TrafficPolicy tp, String path, Problems p) {
    if (tp == null) {
      return;
    }
    var od = tp.getOutlierDetection();
    if (od != null) {
      nonNegative(p, path + ".outlierDetection.consecutiveErrors", od.getConsecutiveErrors());
      nonNegative(p, path + ".outlierDetection.consecutive5xxErrors", od.getConsecutive5xxErrors());
      nonNegative(
          p, path + ".outlierDetection.consecutiveGatewayErrors", od.getConsecutiveGatewayErrors());
      Checks.duration(p, path + ".outlierDetection.interval", od.getInterval());
      Checks.duration(p, path + ".outlierDetection.baseEjectionTime", od.getBaseEjectionTime());
      percentInt(p, path + ".outlierDetection.maxEjectionPercent", od.getMaxEjectionPercent());
      percentInt(p, path + ".outlierDetection.minHealthPercent", od.getMinHealthPercent());
    }
    var cp = tp.getConnectionPool();
    if (cp != null && cp.getTcp() != null) {
      nonNegative(p, path + ".connectionPool.tcp.maxConnections", cp.getTcp().getMaxConnections());
      Checks.duration(
          p, path + ".connectionPool.tcp.connectTimeout", cp.getTcp().getConnectTimeout());
      Checks.duration(p, path + ".connectionPool.tcp.idleTimeout", cp.getTcp().getIdleTimeout());
    }
    if (cp != null && cp.getHttp() != null) {
      var h = cp.getHttp();
      nonNegative(
          p, path + ".connectionPool.http.http1MaxPendingRequests", h.getHttp1MaxPendingRequests());
      nonNegative(p, path + ".connectionPool.http.http2MaxRequests", h.getHttp2MaxRequests());
      nonNegative(
          p,
          path + ".connectionPool.http.maxRequestsPerConnection",
          h.getMaxRequestsPerConnection());
      nonNegative(p, path + ".connectionPool.http.maxRetries", h.getMaxRetries());
      Checks.duration(p, path + ".connectionPool.http.idleTimeout", h.getIdleTimeout());
    }
    clientTls(tp.getTls(), path + ".tls", p);
    var ports = nn(tp.getPortLevelSettings());
    for (int i = 0; i < ports.size(); i++) {
      String pp = path + ".portLevelSettings[" + i + "]";
      if (ports.get(i).getPort() == null) {
        p.error(pp + ".port", "portLevelSettings requires a port number");
      } else {
        Checks.port(p, pp + ".port.number", ports.get(i).getPort().getNumber());
      }
      clientTls(ports.get(i).getTls(), pp + ".tls", p);
    }
  }

  private static void clientTls(ClientTLSSettings tls, String path, Problems p) {
    if (tls == null) {
      return;
    }
    ConfigValidator.clientTls(tls, path).forEach(e -> p.error(e.getKey(), e.getValue()));
    if (tls.getMode() != ClientTLSSettingsTLSmode.MUTUAL
        && tls.getMode() != ClientTLSSettingsTLSmode.SIMPLE
        && !Checks.isBlank(tls.getCredentialName())) {
      p.error(path + ".credentialName", "credentialName requires mode SIMPLE or MUTUAL");
    }
  }

  /**
   * As Istio, sidecars ignore {@code credentialName} of a rule without {@code workloadSelector}: a
   * sidecar does not originate TLS from it. Said at admission so that it is not a surprise.
   */
  private static void sidecarCredential(DestinationRule dr, Problems p) {
    boolean selector =
        dr.getWorkloadSelector() != null
            && dr.getWorkloadSelector().getMatchLabels() != null
            && !dr.getWorkloadSelector().getMatchLabels().isEmpty();
    if (selector) {
      return;
    }
    List<String> paths = new java.util.ArrayList<>();
    credentialPaths(dr.getTrafficPolicy(), "spec.trafficPolicy", paths);
    var subsets = nn(dr.getSubsets());
    for (int i = 0; i < subsets.size(); i++) {
      credentialPaths(
          subsets.get(i).getTrafficPolicy(), "spec.subsets[" + i + "].trafficPolicy", paths);
    }
    for (String path : paths) {
      p.warn(
          path,
          "sidecars ignore credentialName without workloadSelector and do not originate TLS"
              + " from this setting; only gateways use it");
    }
  }

  private static void credentialPaths(TrafficPolicy tp, String path, List<String> out) {
    if (tp == null) {
      return;
    }
    if (tp.getTls() != null && !Checks.isBlank(tp.getTls().getCredentialName())) {
      out.add(path + ".tls.credentialName");
    }
    var ports = nn(tp.getPortLevelSettings());
    for (int i = 0; i < ports.size(); i++) {
      if (ports.get(i).getTls() != null
          && !Checks.isBlank(ports.get(i).getTls().getCredentialName())) {
        out.add(path + ".portLevelSettings[" + i + "].tls.credentialName");
      }
    }
  }

  static void gateway(Gateway g, Problems p) {
    var servers = nn(g.getServers());
    if (servers.isEmpty()) {
      p.error("spec.servers", "gateway must have at least one server");
    }
    Set<String> portNames = new HashSet<>();
    for (int i = 0; i < servers.size(); i++) {
      server(servers.get(i), "spec.servers[" + i + "]", portNames, p);
    }
    Checks.labels(p, "spec.selector", g.getSelector());
  }

  private static void server(Server s, String path, Set<String> portNames, Problems p) {
    var hosts = nn(s.getHosts());
    if (hosts.isEmpty()) {
      p.error(path + ".hosts", "server config must contain at least one host");
    }
    for (int i = 0; i < hosts.size(); i++) {
      namespacedHost(hosts.get(i), path + ".hosts[" + i + "]", p);
    }
    var port = s.getPort();
    if (port == null) {
      p.error(path + ".port", "port is required");
      return;
    }
    Checks.port(p, path + ".port.number", port.getNumber());
    if (port.getNumber() == null) {
      p.error(path + ".port.number", "port number is required");
    }
    String protocol = port.getProtocol() == null ? "" : port.getProtocol().toUpperCase(Locale.ROOT);
    if (!PROTOCOLS.contains(protocol)) {
      p.error(
          path + ".port.protocol",
          "unrecognized protocol " + Checks.quote(String.valueOf(port.getProtocol())));
    }
    if (port.getName() != null && !port.getName().isEmpty() && !portNames.add(port.getName())) {
      p.error(
          path + ".port.name",
          "port names in servers must be unique: duplicate name " + port.getName());
    }
    ServerTLSSettings tls = s.getTls();
    boolean tlsProtocol = protocol.equals("HTTPS") || protocol.equals("TLS");
    if (tlsProtocol && tls == null) {
      p.error(path + ".tls", "server must have TLS settings for HTTPS/TLS protocols");
    } else if (!tlsProtocol && tls != null && !Boolean.TRUE.equals(tls.getHttpsRedirect())) {
      p.error(path + ".tls", "server cannot have TLS settings for plain text HTTP ports");
    }
    if (tls != null && tlsProtocol) {
      serverTls(tls, path + ".tls", p);
    }
  }

  private static void serverTls(ServerTLSSettings tls, String path, Problems p) {
    ServerTLSSettingsTLSmode mode =
        tls.getMode() == null ? ServerTLSSettingsTLSmode.SIMPLE : tls.getMode();
    boolean credential =
        !Checks.isBlank(tls.getCredentialName())
            || !nn(tls.getCredentialNames()).isEmpty()
            || !nn(tls.getTlsCertificates()).isEmpty();
    if ((mode == ServerTLSSettingsTLSmode.SIMPLE || mode == ServerTLSSettingsTLSmode.MUTUAL)
        && !credential) {
      if (Checks.isBlank(tls.getServerCertificate())) {
        p.error(
            path + ".serverCertificate",
            mode + " TLS requires a server certificate or credentialName");
      }
      if (Checks.isBlank(tls.getPrivateKey())) {
        p.error(path + ".privateKey", mode + " TLS requires a private key or credentialName");
      }
      if (mode == ServerTLSSettingsTLSmode.MUTUAL && Checks.isBlank(tls.getCaCertificates())) {
        p.error(
            path + ".caCertificates", "MUTUAL TLS requires a client CA bundle or credentialName");
      }
    }
  }

  /**
   * Gateway and Sidecar hosts are {@code namespace/dnsName}; the namespace part is optional for
   * gateways.
   */
  private static void namespacedHost(String host, String path, Problems p) {
    String[] parts = host.split("/", -1);
    if (parts.length > 2) {
      p.error(path, "host " + Checks.quote(host) + " must be of form namespace/dnsName");
      return;
    }
    if (parts.length == 2) {
      String ns = parts[0];
      if (!ns.equals("*") && !ns.equals(".") && !ns.equals("~") && !Checks.isDns1123Label(ns)) {
        p.error(
            path, "invalid namespace value " + Checks.quote(ns) + " in host " + Checks.quote(host));
      }
    }
    Checks.wildcardHost(p, path, parts[parts.length - 1]);
  }

  static void serviceEntry(ServiceEntry se, Problems p) {
    var hosts = nn(se.getHosts());
    if (hosts.isEmpty()) {
      p.error("spec.hosts", "service entry must have at least one host");
    }
    for (int i = 0; i < hosts.size(); i++) {
      if (hosts.get(i).equals("*")) {
        p.error("spec.hosts[" + i + "]", "invalid host *");
      } else {
        Checks.wildcardHost(p, "spec.hosts[" + i + "]", hosts.get(i));
      }
    }
    var ports = nn(se.getPorts());
    Set<String> names = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      var port = ports.get(i);
      String pp = "spec.ports[" + i + "]";
      if (port.getNumber() == null) {
        p.error(pp + ".number", "port number is required");
      }
      Checks.port(p, pp + ".number", port.getNumber());
      Checks.port(p, pp + ".targetPort", port.getTargetPort());
      if (Checks.isBlank(port.getName())) {
        p.error(pp + ".name", "port name must be set");
      } else if (!names.add(port.getName())) {
        p.error(pp + ".name", "duplicate port names: " + port.getName());
      }
    }
    var endpoints = nn(se.getEndpoints());
    if (se.getResolution() == ServiceEntryResolution.STATIC && se.getWorkloadSelector() == null) {
      for (int i = 0; i < endpoints.size(); i++) {
        if (Checks.isBlank(endpoints.get(i).getAddress())) {
          p.error(
              "spec.endpoints[" + i + "].address",
              "endpoint address is required for STATIC resolution");
        }
      }
    }
    if (!endpoints.isEmpty() && se.getWorkloadSelector() != null) {
      p.error(
          "spec.workloadSelector",
          "only one of workloadSelector or endpoints is allowed in service entry");
    }
    if (se.getResolution() == ServiceEntryResolution.NONE && !endpoints.isEmpty()) {
      p.error("spec.endpoints", "no endpoints should be provided for resolution type NONE");
    }
    for (int i = 0; i < endpoints.size(); i++) {
      workloadEntryFields(endpoints.get(i), "spec.endpoints[" + i + "]", false, p);
    }
  }

  static void workloadEntry(WorkloadEntry we, Problems p) {
    workloadEntryFields(we, "spec", true, p);
  }

  private static void workloadEntryFields(
      WorkloadEntry we, String path, boolean standalone, Problems p) {
    if (standalone && Checks.isBlank(we.getAddress()) && Checks.isBlank(we.getNetwork())) {
      p.error(path + ".address", "address must be set");
    }
    Checks.labels(p, path + ".labels", we.getLabels());
    if (we.getPorts() != null) {
      we.getPorts().forEach((name, port) -> Checks.port(p, path + ".ports[" + name + "]", port));
    }
  }

  static void sidecar(Sidecar sc, Problems p) {
    var egress = nn(sc.getEgress());
    if (egress.isEmpty()
        && nn(sc.getIngress()).isEmpty()
        && sc.getOutboundTrafficPolicy() == null
        && sc.getInboundConnectionPool() == null) {
      p.error("spec", "sidecar: empty configuration provided");
    }
    for (int i = 0; i < egress.size(); i++) {
      String path = "spec.egress[" + i + "]";
      List<String> hosts = nn(egress.get(i).getHosts());
      if (hosts.isEmpty()) {
        p.error(path + ".hosts", "sidecar: egress listener must contain at least one host");
      }
      for (int j = 0; j < hosts.size(); j++) {
        if (!hosts.get(j).contains("/")) {
          p.error(path + ".hosts[" + j + "]", "sidecar: host must be of form namespace/dnsName");
        } else {
          namespacedHost(hosts.get(j), path + ".hosts[" + j + "]", p);
        }
      }
      if (egress.get(i).getPort() != null) {
        Checks.port(p, path + ".port.number", egress.get(i).getPort().getNumber());
      }
    }
    var ingress = nn(sc.getIngress());
    for (int i = 0; i < ingress.size(); i++) {
      if (ingress.get(i).getPort() == null) {
        p.error("spec.ingress[" + i + "].port", "sidecar: ingress listener must have a port");
      } else {
        Checks.port(p, "spec.ingress[" + i + "].port.number", ingress.get(i).getPort().getNumber());
      }
    }
  }

  static void envoyFilter(EnvoyFilter ef, Problems p) {
    var patches = nn(ef.getConfigPatches());
    for (int i = 0; i < patches.size(); i++) {
      String path = "spec.configPatches[" + i + "]";
      if (patches.get(i).getApplyTo() == null) {
        p.error(path + ".applyTo", "Envoy filter: missing applyTo");
      }
      if (patches.get(i).getPatch() == null) {
        p.error(path + ".patch", "Envoy filter: missing patch");
      } else if (patches.get(i).getPatch().getOperation() == null) {
        p.error(path + ".patch.operation", "Envoy filter: missing patch operation");
      }
    }
    if (ef.getWorkloadSelector() != null && !nn(ef.getTargetRefs()).isEmpty()) {
      p.error("spec", "only one of targetRefs or workloadSelector can be set");
    }
  }

  private static void nonNegative(Problems p, String path, Integer v) {
    if (v != null && v < 0) {
      p.error(path, v + " must not be negative");
    }
  }

  private static void percentInt(Problems p, String path, Integer v) {
    if (v != null && (v < 0 || v > 100)) {
      p.error(path, "percent " + v + " must be in range [0, 100]");
    }
  }
}
