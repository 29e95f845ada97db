package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * {@code ServiceEntries} adds ServiceEntry hosts to the mesh model: one service per host, endpoints
 * from {@code spec.endpoints} and from WorkloadEntries its {@code workloadSelector} picks (the way
 * tests reach loopback servers, which EndpointSlices may not carry).
 */
final class ServiceEntries {
  private ServiceEntries() {}

  static void add(
      ServiceEntry se,
      List<WorkloadEntry> workloadEntries,
      Map<String, MeshService> services,
      Map<String, List<MeshEndpoint>> endpoints,
      Map<String, String> rejected,
      BiConsumer<String, String> onRejected) {
    var spec = se.getSpec();
    if (spec == null || spec.getHosts() == null || spec.getHosts().isEmpty()) {
      String reason = "spec.hosts: at least one host is required";
      rejected.put("ServiceEntry " + MeshModelBuilder.key(se), reason);
      onRejected.accept("ServiceEntry", "ServiceEntry " + MeshModelBuilder.key(se) + ": " + reason);
      return;
    }
    List<ServicePort> ports = new ArrayList<>();
    if (spec.getPorts() != null) {
      for (var p : spec.getPorts()) {
        int number = p.getNumber() == null ? 0 : p.getNumber().intValue();
        int target = p.getTargetPort() == null ? number : p.getTargetPort().intValue();
        ports.add(
            new ServicePort(
                Objects.requireNonNullElse(p.getName(), ""),
                number,
                target,
                ServicePort.Protocol.parse(p.getProtocol())));
      }
    }
    ports.sort(Comparator.comparingInt(ServicePort::port));
    MeshService.Resolution resolution =
        spec.getResolution() == ServiceEntryResolution.DNS
                || spec.getResolution() == ServiceEntryResolution.DNS_ROUND_ROBIN
            ? MeshService.Resolution.DNS
            : spec.getResolution() == ServiceEntryResolution.NONE
                ? MeshService.Resolution.NONE
                : MeshService.Resolution.STATIC;
    Map<String, String> selector =
        spec.getWorkloadSelector() == null
            ? Map.of()
            : MeshModelBuilder.orEmpty(spec.getWorkloadSelector().getLabels());
    List<io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry> entries = new ArrayList<>();
    if (spec.getEndpoints() != null) {
      entries.addAll(spec.getEndpoints());
    }
    if (!selector.isEmpty()) {
      for (WorkloadEntry we : MeshModelBuilder.sortedByName(workloadEntries)) {
        if (MeshModelBuilder.ns(we).equals(MeshModelBuilder.ns(se))
            && we.getSpec() != null
            && MeshModelBuilder.matches(
                selector, MeshModelBuilder.orEmpty(we.getSpec().getLabels()))) {
          entries.add(we.getSpec());
        }
      }
    }
    String address =
        spec.getAddresses() == null || spec.getAddresses().isEmpty()
            ? ""
            : spec.getAddresses().get(0);
    for (String host : spec.getHosts()) {
      MeshService ms =
          new MeshService(
              host,
              MeshModelBuilder.ns(se),
              se.getMetadata().getName(),
              address,
              ports,
              selector,
              resolution,
              MeshService.Origin.SERVICE_ENTRY,
              spec.getExportTo(),
              spec.getSubjectAltNames(),
              List.of());
      services.putIfAbsent(host, ms);
      List<MeshEndpoint> list = endpoints.computeIfAbsent(host, h -> new ArrayList<>());
      if (resolution == MeshService.Resolution.NONE) {
        continue;
      }
      if (entries.isEmpty() && resolution == MeshService.Resolution.DNS && !host.contains("*")) {
        for (ServicePort p : ports) {
          list.add(
              new MeshEndpoint(
                  host,
                  p.port(),
                  host,
                  p.targetPort(),
                  Map.of(),
                  "",
                  1,
                  MeshEndpoint.Health.HEALTHY,
                  ""));
        }
      }
      for (var we : entries) {
        if (we.getAddress() == null || we.getAddress().isEmpty()) {
          continue;
        }
        Map<String, Long> wePorts = we.getPorts() == null ? Map.of() : we.getPorts();
        for (ServicePort p : ports) {
          Long mapped = wePorts.get(p.name());
          int target = mapped != null ? mapped.intValue() : p.targetPort();
          list.add(
              new MeshEndpoint(
                  host,
                  p.port(),
                  we.getAddress(),
                  target,
                  MeshModelBuilder.orEmpty(we.getLabels()),
                  we.getLocality() == null ? "" : we.getLocality(),
                  we.getWeight() == null ? 1 : we.getWeight().intValue(),
                  MeshEndpoint.Health.HEALTHY,
                  Objects.requireNonNullElse(we.getServiceAccount(), "")));
        }
      }
    }
  }
}
