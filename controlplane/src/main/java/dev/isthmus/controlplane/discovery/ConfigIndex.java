package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.xds.ConfigKey;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code ConfigIndex} is the Istio configuration part of {@link MeshIndex}: one {@link ConfigStore}
 * per kind, and for each event the {@link ConfigKey} it causes, with the hosts a VirtualService or
 * DestinationRule names and the workload selectors of a Sidecar, old and new, so that the push
 * reaches only the proxies concerned.
 */
final class ConfigIndex {
  final ConfigStore<VirtualService, io.fabric8.istio.api.api.networking.v1alpha3.VirtualService>
      virtualServices;
  final ConfigStore<DestinationRule, io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule>
      destinationRules;
  final ConfigStore<Gateway, io.fabric8.istio.api.api.networking.v1alpha3.Gateway> gateways;
  final ConfigStore<Sidecar, io.fabric8.istio.api.api.networking.v1alpha3.Sidecar> sidecars;
  final ConfigStore<
          PeerAuthentication, io.fabric8.istio.api.api.security.v1beta1.PeerAuthentication>
      peerAuthentications;

  ConfigIndex(MeshModelBuilder rules) {
    virtualServices =
        new ConfigStore<>(
            "VirtualService", VirtualService::getSpec, ConfigValidator::validate, rules);
    destinationRules =
        new ConfigStore<>(
            "DestinationRule", DestinationRule::getSpec, ConfigValidator::validate, rules);
    gateways = new ConfigStore<>("Gateway", Gateway::getSpec, x -> List.of(), rules);
    sidecars = new ConfigStore<>("Sidecar", Sidecar::getSpec, x -> List.of(), rules);
    peerAuthentications =
        new ConfigStore<>("PeerAuthentication", PeerAuthentication::getSpec, x -> List.of(), rules);
  }

  /** Whether the object is configuration this index keeps. */
  static boolean handles(HasMetadata o) {
    return o instanceof VirtualService
        || o instanceof DestinationRule
        || o instanceof Gateway
        || o instanceof Sidecar
        || o instanceof PeerAuthentication;
  }

  /**
   * Stores or removes a configuration object, recording rejections; returns what changed, or null
   * when the object is the same as before.
   */
  ConfigKey apply(HasMetadata o, String key, boolean delete, Map<String, String> rejected) {
    if (o instanceof VirtualService vs) {
      return config(
          virtualServices, ConfigKey.Kind.VIRTUAL_SERVICE, key, vs, delete, rejected, VS_HOSTS);
    } else if (o instanceof DestinationRule dr) {
      return config(
          destinationRules, ConfigKey.Kind.DESTINATION_RULE, key, dr, delete, rejected, DR_HOST);
    } else if (o instanceof Gateway g) {
      return config(gateways, ConfigKey.Kind.GATEWAY, key, g, delete, rejected, x -> Set.of());
    } else if (o instanceof Sidecar sc) {
      return config(sidecars, ConfigKey.Kind.SIDECAR, key, sc, delete, rejected, x -> Set.of());
    } else if (o instanceof PeerAuthentication pa) {
      return config(
          peerAuthentications,
          ConfigKey.Kind.PEER_AUTHENTICATION,
          key,
          pa,
          delete,
          rejected,
          x -> Set.of());
    }
    throw new IllegalArgumentException("not configuration: " + o.getKind());
  }

  private static final Function<VirtualService, Set<String>> VS_HOSTS =
      vs ->
          vs.getSpec() == null || vs.getSpec().getHosts() == null
              ? Set.of()
              : new HashSet<>(vs.getSpec().getHosts());

  private static final Function<DestinationRule, Set<String>> DR_HOST =
      dr ->
          dr.getSpec() == null || dr.getSpec().getHost() == null
              ? Set.of()
              : Set.of(dr.getSpec().getHost());

  private static <O extends HasMetadata, T> ConfigKey config(
      ConfigStore<O, T> store,
      ConfigKey.Kind kind,
      String key,
      O o,
      boolean delete,
      Map<String, String> rejected,
      Function<O, Set<String>> hostsOf) {
    O old = delete ? store.remove(key) : store.put(key, o, rejected);
    if (!delete && old != null && store.same(old, o)) {
      return null;
    }
    if (delete) {
      rejected.remove(store.kind + " " + key);
    }
    List<O> versions = new ArrayList<>();
    if (old != null) {
      versions.add(old);
    }
    if (!delete) {
      versions.add(o);
    }
    Set<String> hosts = new HashSet<>();
    versions.forEach(v -> hosts.addAll(hostsOf.apply(v)));
    String ns = MeshModelBuilder.ns(delete && old != null ? old : o);
    return new ConfigKey(kind, ns, o.getMetadata().getName(), hosts, selectors(versions));
  }

  /** Workload selectors of Sidecar versions; empty when one of them covers its namespace. */
  private static List<Map<String, String>> selectors(List<? extends HasMetadata> versions) {
    List<Map<String, String>> out = new ArrayList<>();
    for (HasMetadata v : versions) {
      if (!(v instanceof Sidecar sc)) {
        return List.of();
      }
      var sel = sc.getSpec() == null ? null : sc.getSpec().getWorkloadSelector();
      if (sel == null || sel.getLabels() == null || sel.getLabels().isEmpty()) {
        return List.of();
      }
      out.add(sel.getLabels());
    }
    return out;
  }
}
