package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.ConfigEntry;
import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecurityPolicies;
import dev.isthmus.controlplane.model.ServicePort;
import dev.isthmus.controlplane.model.Workload;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code MeshModelBuilder} turns a {@link ClusterState} into a {@link MeshSnapshot}. It is pure: no
 * I/O, same input gives an equal snapshot. Invalid VirtualServices and DestinationRules are left
 * out and reported through the rejection callback with their field path.
 */
public final class MeshModelBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(MeshModelBuilder.class);
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final String clusterDomain;
  private final String rootNamespace;
  private final BiConsumer<String, String> onRejected;

  /**
   * @param clusterDomain DNS domain, e.g. {@code cluster.local}
   * @param rootNamespace Istio root namespace
   * @param onRejected called with the config kind and the reason for each skipped object
   */
  public MeshModelBuilder(
      String clusterDomain, String rootNamespace, BiConsumer<String, String> onRejected) {
    this.clusterDomain = clusterDomain;
    this.rootNamespace = rootNamespace;
    this.onRejected = onRejected;
  }

  /** Builds the snapshot. */
  public MeshSnapshot build(ClusterState s) {
    Map<String, MeshService> services = new TreeMap<>();
    Map<String, List<MeshEndpoint>> endpoints = new TreeMap<>();
    Map<String, Workload> workloads = new TreeMap<>();
    Map<String, String> rejected = new TreeMap<>();

    Map<String, Pod> podsByKey = new HashMap<>();
    // Sorted so that, of several pods with one address (host network), the same one wins as in
    // the incremental model.
    for (Pod p : sorted(s.pods())) {
      podsByKey.put(key(p), p);
      Workload w = workload(p);
      if (w != null) {
        workloads.put(w.address(), w);
      }
    }
    Map<String, Node> nodes = new HashMap<>();
    s.nodes().forEach(n -> nodes.put(n.getMetadata().getName(), n));

    Map<String, MeshService> byKubeKey = new HashMap<>();
    for (Service svc : sorted(s.services())) {
      MeshService ms = kubeService(svc);
      if (ms != null) {
        services.put(ms.hostname(), ms);
        byKubeKey.put(key(svc), ms);
      }
    }
    for (EndpointSlice slice : sorted(s.endpointSlices())) {
      String svcName =
          slice.getMetadata().getLabels() == null
              ? null
              : slice.getMetadata().getLabels().get(SERVICE_NAME_LABEL);
      MeshService ms = svcName == null ? null : byKubeKey.get(ns(slice) + "/" + svcName);
      if (ms == null) {
        continue;
      }
      List<MeshEndpoint> list = endpoints.computeIfAbsent(ms.hostname(), h -> new ArrayList<>());
      sliceEndpoints(ms, slice, podsByKey, nodes, list);
    }
    for (WorkloadEntry we : sorted(s.workloadEntries())) {
      Workload w = workload(we);
      if (w != null) {
        workloads.put(w.address(), w);
      }
    }
    for (ServiceEntry se : sorted(s.serviceEntries())) {
      ServiceEntries.add(se, s.workloadEntries(), services, endpoints, rejected, onRejected);
    }
    endpoints.replaceAll((h, l) -> l.stream().sorted(ENDPOINT_ORDER).toList());
    // A host without endpoints has no entry, whichever way it got there.
    endpoints.values().removeIf(List::isEmpty);

    var vs =
        valid(
            "VirtualService",
            s.virtualServices(),
            o -> o.getSpec(),
            ConfigValidator::validate,
            rejected);
    var dr =
        valid(
            "DestinationRule",
            s.destinationRules(),
            o -> o.getSpec(),
            ConfigValidator::validate,
            rejected);
    var gw = valid("Gateway", s.gateways(), o -> o.getSpec(), x -> List.of(), rejected);
    var sc = valid("Sidecar", s.sidecars(), o -> o.getSpec(), x -> List.of(), rejected);
    var pa =
        valid(
            "PeerAuthentication",
            s.peerAuthentications(),
            o -> o.getSpec(),
            x -> List.of(),
            rejected);
    var ap =
        valid(
            "AuthorizationPolicy",
            s.authorizationPolicies(),
            ConfigIndex::authorizationSpec,
            x -> List.of(),
            rejected);
    var ra =
        valid(
            "RequestAuthentication",
            s.requestAuthentications(),
            o -> o.getSpec(),
            x -> List.of(),
            rejected);
    return new MeshSnapshot(
        services,
        endpoints,
        workloads,
        vs,
        dr,
        gw,
        sc,
        pa,
        rejected,
        clusterDomain,
        rootNamespace,
        new SecurityPolicies(ap, ra));
  }

  /** The workload of a pod, or null while it has no address. */
  static Workload workload(Pod p) {
    String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
    if (ip == null || ip.isEmpty()) {
      return null;
    }
    return new Workload(
        ns(p),
        p.getMetadata().getName(),
        ip,
        labels(p),
        p.getSpec() == null || p.getSpec().getServiceAccountName() == null
            ? ""
            : p.getSpec().getServiceAccountName());
  }

  /** The workload of a WorkloadEntry, or null without address. */
  static Workload workload(WorkloadEntry we) {
    if (we.getSpec() == null || we.getSpec().getAddress() == null) {
      return null;
    }
    return new Workload(
        ns(we),
        we.getMetadata().getName(),
        we.getSpec().getAddress(),
        orEmpty(we.getSpec().getLabels()),
        Objects.requireNonNullElse(we.getSpec().getServiceAccount(), ""));
  }

  static final Comparator<MeshEndpoint> ENDPOINT_ORDER =
      Comparator.comparingInt(MeshEndpoint::servicePort)
          .thenComparing(MeshEndpoint::address)
          .thenComparingInt(MeshEndpoint::port);

  String clusterDomain() {
    return clusterDomain;
  }

  String rootNamespace() {
    return rootNamespace;
  }

  BiConsumer<String, String> onRejected() {
    return onRejected;
  }

  private <O extends HasMetadata, T> List<ConfigEntry<T>> valid(
      String kind,
      List<O> objects,
      Function<O, T> spec,
      Function<T, List<String>> validator,
      Map<String, String> rejected) {
    List<ConfigEntry<T>> out = new ArrayList<>();
    for (O o : sortedByAge(objects)) {
      T sp = spec.apply(o);
      List<String> errors = sp == null ? List.of("spec: required") : validator.apply(sp);
      if (!errors.isEmpty()) {
        String reason = kind + " " + key(o) + ": " + String.join("; ", errors);
        LOG.warn("skipping invalid {}", reason);
        rejected.put(kind + " " + key(o), String.join("; ", errors));
        onRejected.accept(kind, reason);
        continue;
      }
      out.add(ConfigEntry.of(o, ns(o), sp));
    }
    return out;
  }

  MeshService kubeService(Service svc) {
    if (svc.getSpec() == null || "ExternalName".equals(svc.getSpec().getType())) {
      return null;
    }
    List<ServicePort> ports = new ArrayList<>();
    if (svc.getSpec().getPorts() != null) {
      for (var p : svc.getSpec().getPorts()) {
        if (p.getProtocol() != null && !"TCP".equals(p.getProtocol())) {
          continue;
        }
        IntOrString tp = p.getTargetPort();
        int target =
            tp != null && tp.getIntVal() != null && tp.getIntVal() > 0
                ? tp.getIntVal()
                : p.getPort();
        String proto = p.getAppProtocol() != null ? p.getAppProtocol() : p.getName();
        ports.add(
            new ServicePort(
                Objects.requireNonNullElse(p.getName(), ""),
                p.getPort(),
                target,
                ServicePort.Protocol.parse(proto)));
      }
    }
    ports.sort(Comparator.comparingInt(ServicePort::port));
    String ip = svc.getSpec().getClusterIP();
    if (ip == null || "None".equals(ip)) {
      ip = "";
    }
    return new MeshService(
        svc.getMetadata().getName() + "." + ns(svc) + ".svc." + clusterDomain,
        ns(svc),
        svc.getMetadata().getName(),
        ip,
        ports,
        orEmpty(svc.getSpec().getSelector()),
        MeshService.Resolution.STATIC,
        MeshService.Origin.KUBERNETES,
        exportTo(svc.getMetadata().getAnnotations()),
        commaList(svc.getMetadata().getAnnotations(), "alpha.istio.io/canonical-serviceaccounts"),
        commaList(svc.getMetadata().getAnnotations(), "alpha.istio.io/kubernetes-serviceaccounts"));
  }

  /**
   * A comma-separated annotation as a list, empty when absent. Istio reads the two service-account
   * annotations of a Service this way for the identities its clients accept.
   */
  static List<String> commaList(Map<String, String> annotations, String name) {
    String v = annotations == null ? null : annotations.get(name);
    if (v == null || v.isBlank()) {
      return List.of();
    }
    return java.util.Arrays.stream(v.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  /** A Service's {@code networking.istio.io/exportTo} annotation (comma-separated). */
  static List<String> exportTo(Map<String, String> annotations) {
    return commaList(annotations, "networking.istio.io/exportTo");
  }

  void sliceEndpoints(
      MeshService ms,
      EndpointSlice slice,
      Map<String, Pod> pods,
      Map<String, Node> nodes,
      List<MeshEndpoint> out) {
    if (slice.getEndpoints() == null || slice.getPorts() == null) {
      return;
    }
    for (Endpoint ep : slice.getEndpoints()) {
      var c = ep.getConditions();
      boolean ready = c == null || c.getReady() == null || c.getReady();
      boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
      boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
      MeshEndpoint.Health health =
          ready && !terminating
              ? MeshEndpoint.Health.HEALTHY
              : serving ? MeshEndpoint.Health.DRAINING : MeshEndpoint.Health.UNHEALTHY;
      Pod pod =
          ep.getTargetRef() != null && "Pod".equals(ep.getTargetRef().getKind())
              ? pods.get(
                  Objects.requireNonNullElse(ep.getTargetRef().getNamespace(), ns(slice))
                      + "/"
                      + ep.getTargetRef().getName())
              : null;
      Map<String, String> labels = pod == null ? Map.of() : labels(pod);
      String sa =
          pod == null || pod.getSpec().getServiceAccountName() == null
              ? ""
              : pod.getSpec().getServiceAccountName();
      String locality = locality(ep, nodes.get(ep.getNodeName()));
      for (EndpointPort sp : slice.getPorts()) {
        if (sp.getPort() == null) {
          continue;
        }
        String portName = Objects.requireNonNullElse(sp.getName(), "");
        ServicePort svcPort =
            ms.ports().stream()
                .filter(p -> p.name().equals(portName) || ms.ports().size() == 1)
                .findFirst()
                .orElse(null);
        if (svcPort == null) {
          continue;
        }
        for (String addr : ep.getAddresses()) {
          out.add(
              new MeshEndpoint(
                  ms.hostname(),
                  svcPort.port(),
                  addr,
                  sp.getPort(),
                  labels,
                  locality,
                  1,
                  health,
                  sa));
        }
      }
    }
  }

  static String locality(Endpoint ep, Node node) {
    Map<String, String> nl =
        node == null || node.getMetadata().getLabels() == null
            ? Map.of()
            : node.getMetadata().getLabels();
    String region = nl.getOrDefault("topology.kubernetes.io/region", "");
    String zone =
        ep.getZone() != null ? ep.getZone() : nl.getOrDefault("topology.kubernetes.io/zone", "");
    String subzone = nl.getOrDefault("topology.istio.io/subzone", "");
    if (region.isEmpty() && zone.isEmpty() && subzone.isEmpty()) {
      return "";
    }
    return region + "/" + zone + "/" + subzone;
  }

  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  private static <T extends HasMetadata> List<T> sorted(List<T> in) {
    return sortedByName(in);
  }

  static <T extends HasMetadata> List<T> sortedByName(List<T> in) {
    return in.stream().sorted(Comparator.comparing(MeshModelBuilder::key)).toList();
  }

  /**
   * Oldest first, then by name, then by namespace: the order Istio merges conflicting configuration
   * in (creation times are in seconds, so ties are common).
   */
  static <T extends HasMetadata> List<T> sortedByAge(List<T> in) {
    return in.stream()
        .sorted(
            Comparator.comparing(
                    (T o) -> Objects.requireNonNullElse(o.getMetadata().getCreationTimestamp(), ""))
                .thenComparing((T o) -> o.getMetadata().getName())
                .thenComparing(MeshModelBuilder::ns))
        .toList();
  }

  static String key(HasMetadata o) {
    return ns(o) + "/" + o.getMetadata().getName();
  }

  static String ns(HasMetadata o) {
    return o.getMetadata().getNamespace() == null ? "default" : o.getMetadata().getNamespace();
  }

  private static Map<String, String> labels(HasMetadata o) {
    return orEmpty(o.getMetadata().getLabels());
  }

  static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : new LinkedHashMap<>(m);
  }
}
