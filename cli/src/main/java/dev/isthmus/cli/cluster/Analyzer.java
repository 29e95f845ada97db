package dev.isthmus.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.controlplane.webhooks.validation.IstioConfigValidator;
import dev.isthmus.controlplane.webhooks.validation.ValidationResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Analyzer} runs the control plane's validation rules and a few cross-object checks over a
 * set of Istio config objects, with Istio's analysis codes:
 *
 * <ul>
 *   <li>IST0106 SchemaValidationError: what the validation webhook would refuse; IST0133
 *       SchemaWarning: what it would warn about;
 *   <li>IST0101 ReferencedResourceNotFound: a VirtualService's gateway, or (when the services are
 *       known) a destination host that is neither a Service nor a ServiceEntry host;
 *   <li>IST0102 NamespaceNotInjected: a namespace with neither {@code istio-injection} nor {@code
 *       istio.io/rev}.
 * </ul>
 *
 * It is pure: the caller reads files or the cluster.
 */
public final class Analyzer {
  /** Namespaces Istio never expects to be injected. */
  static final Set<String> SYSTEM_NAMESPACES =
      Set.of("kube-system", "kube-public", "kube-node-lease", "local-path-storage", "istio-system");

  /**
   * One object to analyze and where it came from.
   *
   * @param object apiVersion, kind, metadata, spec
   * @param reference {@code file:line}, or null for objects read from the cluster
   */
  public record Source(JsonNode object, String reference) {}

  private final IstioConfigValidator validator = new IstioConfigValidator();
  private final String clusterDomain;

  public Analyzer(String clusterDomain) {
    this.clusterDomain = clusterDomain;
  }

  /**
   * Analyzes {@code objects}.
   *
   * @param services {@code namespace/name} of the Kubernetes Services, or null when unknown (then
   *     destination hosts are not checked)
   * @param namespaces labels of the namespaces to check for injection, by name; empty for none
   */
  public List<Diagnostic> analyze(
      List<Source> objects, Set<String> services, Map<String, Map<String, String>> namespaces) {
    List<Diagnostic> out = new ArrayList<>();
    Set<String> gateways = new HashSet<>();
    Set<String> entryHosts = new HashSet<>();
    for (Source s : objects) {
      JsonNode o = s.object();
      String kind = o.path("kind").asText();
      if (!group(o).equals("networking.istio.io")) {
        continue;
      }
      if (kind.equals("Gateway")) {
        gateways.add(namespace(o) + "/" + o.at("/metadata/name").asText());
      } else if (kind.equals("ServiceEntry")) {
        o.at("/spec/hosts").forEach(h -> entryHosts.add(h.asText()));
      }
    }
    for (Source s : objects) {
      JsonNode o = s.object();
      String origin = origin(o);
      ValidationResult r = validator.validate(o);
      if (!r.allowed()) {
        out.add(
            Diagnostic.error(
                    "IST0106",
                    origin,
                    "Schema validation error: "
                        + r.message().replaceFirst("^configuration is invalid: ", ""))
                .at(s.reference()));
      }
      for (String w : r.warnings()) {
        out.add(
            Diagnostic.warning("IST0133", origin, "Schema validation warning: " + w)
                .at(s.reference()));
      }
      if (group(o).equals("networking.istio.io")
          && o.path("kind").asText().equals("VirtualService")) {
        out.addAll(virtualService(s, gateways, services, entryHosts));
      }
    }
    for (var ns : namespaces.entrySet()) {
      Map<String, String> labels = ns.getValue() == null ? Map.of() : ns.getValue();
      if (SYSTEM_NAMESPACES.contains(ns.getKey())
          || labels.containsKey("istio-injection")
          || labels.containsKey("istio.io/rev")
          || "ambient".equals(labels.get("istio.io/dataplane-mode"))) {
        continue;
      }
      out.add(
          Diagnostic.info(
              "IST0102",
              "Namespace " + ns.getKey(),
              "The namespace is not enabled for Istio injection. Label it with 'kubectl label"
                  + " namespace "
                  + ns.getKey()
                  + " istio-injection=enabled' to enable injection, or with"
                  + " istio-injection=disabled to mark it as not needing it."));
    }
    out.sort(Diagnostic.ORDER);
    return out;
  }

  private List<Diagnostic> virtualService(
      Source s, Set<String> gateways, Set<String> services, Set<String> entryHosts) {
    JsonNode o = s.object();
    String ns = namespace(o);
    String origin = origin(o);
    List<Diagnostic> out = new ArrayList<>();
    Set<String> refs = new LinkedHashSet<>();
    o.at("/spec/gateways").forEach(g -> refs.add(g.asText()));
    for (JsonNode http : o.at("/spec/http")) {
      for (JsonNode m : http.path("match")) {
        m.path("gateways").forEach(g -> refs.add(g.asText()));
      }
    }
    for (String g : refs) {
      if (g.equals("mesh")) {
        continue;
      }
      String key = g.contains("/") ? g : ns + "/" + g;
      if (!gateways.contains(key)) {
        out.add(
            Diagnostic.error("IST0101", origin, "Referenced gateway not found: \"" + g + "\"")
                .at(s.reference()));
      }
    }
    if (services == null) {
      return out;
    }
    Set<String> hosts = new LinkedHashSet<>();
    for (String section : List.of("http", "tcp", "tls")) {
      for (JsonNode rule : o.at("/spec/" + section)) {
        rule.path("route").forEach(rt -> hosts.add(rt.at("/destination/host").asText()));
        JsonNode mirror = rule.at("/mirror/host");
        if (!mirror.isMissingNode()) {
          hosts.add(mirror.asText());
        }
      }
    }
    for (String h : hosts) {
      if (h.isEmpty() || h.contains("*") || entryHosts.contains(h) || isService(h, ns, services)) {
        continue;
      }
      out.add(
          Diagnostic.error("IST0101", origin, "Referenced host not found: \"" + h + "\"")
              .at(s.reference()));
    }
    return out;
  }

  private boolean isService(String host, String ns, Set<String> services) {
    String[] parts = host.split("\\.");
    if (parts.length == 1) {
      return services.contains(ns + "/" + host);
    }
    String suffix = ".svc." + clusterDomain;
    if (parts.length == 2 || host.endsWith(".svc") || host.endsWith(suffix)) {
      return services.contains(parts[1] + "/" + parts[0]);
    }
    return false;
  }

  static String group(JsonNode o) {
    String v = o.path("apiVersion").asText("");
    return v.contains("/") ? v.substring(0, v.indexOf('/')) : "";
  }

  static String namespace(JsonNode o) {
    String ns = o.at("/metadata/namespace").asText("");
    return ns.isEmpty() ? "default" : ns;
  }

  static String origin(JsonNode o) {
    return o.path("kind").asText("?")
        + " "
        + namespace(o)
        + "/"
        + o.at("/metadata/name").asText("");
  }
}
