package dev.isthmus.controlplane.discovery;

import dev.isthmus.controlplane.model.Annotated;
import dev.isthmus.controlplane.model.ConfigKey;
import dev.isthmus.controlplane.model.SecurityPolicies;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.Sidecar;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
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
  final ConfigStore<
          AuthorizationPolicy,
          Annotated<io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy>>
      authorizationPolicies;
  final ConfigStore<
          RequestAuthentication, io.fabric8.istio.api.api.security.v1beta1.RequestAuthentication>
      requestAuthentications;

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
    authorizationPolicies =
        new ConfigStore<>(
            "AuthorizationPolicy", ConfigIndex::authorizationSpec, x -> List.of(), rules);
    requestAuthentications =
        new ConfigStore<>(
            "RequestAuthentication", RequestAuthentication::getSpec, x -> List.of(), rules);
  }

  /**
   * An AuthorizationPolicy's spec with its dry-run annotation, the only annotation that changes
   * what it does; null without a spec (Istio reads a missing spec as an empty one, which the
   * validation of the store refuses).
   */
  static Annotated<io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy> authorizationSpec(
      AuthorizationPolicy o) {
    if (o.getSpec() == null) {
      return null;
    }
    Map<String, String> a = o.getMetadata().getAnnotations();
    String dryRun = a == null ? null : a.get(SecurityPolicies.DRY_RUN);
    return new Annotated<>(
        dryRun == null ? Map.of() : Map.of(SecurityPolicies.DRY_RUN, dryRun), o.getSpec());
  }

  /** Whether the object is configuration this index keeps. */
  static boolean handles(HasMetadata o) {
    return o instanceof VirtualService
        || o instanceof DestinationRule
        || o instanceof Gateway
        || o instanceof Sidecar
        || o instanceof PeerAuthentication
        || o instanceof AuthorizationPolicy
        || o instanceof RequestAuthentication;
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
    } else if (o instanceof AuthorizationPolicy ap) {
      return config(
          authorizationPolicies,
          ConfigKey.Kind.AUTHORIZATION_POLICY,
          key,
          ap,
          delete,
          rejected,
          x -> Set.of());
    } else if (o instanceof RequestAuthentication ra) {
      return config(
          requestAuthentications,
          ConfigKey.Kind.REQUEST_AUTHENTICATION,
          key,
          ra,
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

  /**
   * Workload selectors of the versions of a Sidecar, AuthorizationPolicy or RequestAuthentication;
   * empty when one of them covers its whole namespace (or, for a policy, targets by reference).
   */
  private static List<Map<String, String>> selectors(List<? extends HasMetadata> versions) {
    List<Map<String, String>> out = new ArrayList<>();
    for (HasMetadata v : versions) {
      Map<String, String> labels = selectorOf(v);
      if (labels == null || labels.isEmpty()) {
        return List.of();
      }
      out.add(labels);
    }
    return out;
  }

  private static Map<String, String> selectorOf(HasMetadata v) {
    if (v instanceof Sidecar sc) {
      var sel = sc.getSpec() == null ? null : sc.getSpec().getWorkloadSelector();
      return sel == null ? null : sel.getLabels();
    } else if (v instanceof AuthorizationPolicy ap && ap.getSpec() != null) {
      boolean targeted =
          ap.getSpec().getTargetRef() != null
              || (ap.getSpec().getTargetRefs() != null && !ap.getSpec().getTargetRefs().isEmpty());
      var sel = ap.getSpec().getSelector();
      return targeted || sel == null ? null : sel.getMatchLabels();
    } else if (v instanceof RequestAuthentication ra && ra.getSpec() != null) {
      boolean targeted =
          ra.getSpec().getTargetRef() != null
              || (ra.getSpec().getTargetRefs() != null && !ra.getSpec().getTargetRefs().isEmpty());
      var sel = ra.getSpec().getSelector();
      return targeted || sel == null ? null : sel.getMatchLabels();
    }
    return null;
  }
}
