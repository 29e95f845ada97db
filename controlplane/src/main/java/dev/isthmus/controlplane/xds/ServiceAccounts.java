package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.model.MeshEndpoint;
import dev.isthmus.controlplane.model.MeshService;
import dev.isthmus.controlplane.model.MeshSnapshot;
import dev.isthmus.controlplane.model.SecuritySettings;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ServiceAccounts} is Istio's secure naming: the identities a client accepts from the server
 * of a service when it talks Istio mutual TLS to it (and, for a ServiceEntry host, what a SIMPLE or
 * MUTUAL rule without {@code subjectAltNames} verifies). They are {@code
 * spiffe://<trustDomain>/ns/<namespace>/sa/<account>} for the service account of every endpoint of
 * the host (pods and WorkloadEntries, ready or not), plus what the service declares (a
 * ServiceEntry's {@code subjectAltNames}, a Service's {@code
 * alpha.istio.io/canonical-serviceaccounts} verbatim and {@code
 * alpha.istio.io/kubernetes-serviceaccounts} in its namespace), each SPIFFE identity repeated for
 * every {@code trustDomainAliases} entry, sorted. A change of this set is a configuration change
 * for the clients of the host, not just an endpoint change (see {@link #changed}).
 */
final class ServiceAccounts {
  private static final String SPIFFE = "spiffe://";

  private ServiceAccounts() {}

  static List<String> of(MeshSnapshot mesh, MeshService svc) {
    SecuritySettings s = mesh.policies().settings();
    Set<String> ids = new TreeSet<>();
    for (MeshEndpoint e : mesh.endpointsOf(svc.hostname())) {
      if (!e.serviceAccount().isEmpty()) {
        ids.add(spiffe(s.trustDomain(), svc.namespace(), e.serviceAccount()));
      }
    }
    for (String k : svc.kubernetesServiceAccounts()) {
      ids.add(spiffe(s.trustDomain(), svc.namespace(), k));
    }
    ids.addAll(svc.subjectAltNames());
    return expand(ids, s.trustDomainAliases());
  }

  static String spiffe(String trustDomain, String namespace, String account) {
    return SPIFFE + trustDomain + "/ns/" + namespace + "/sa/" + account;
  }

  /** Each SPIFFE identity also under every alias trust domain, as Istio expands them. */
  static List<String> expand(Set<String> ids, List<String> aliases) {
    Set<String> out = new TreeSet<>(ids);
    for (String id : ids) {
      if (!id.startsWith(SPIFFE)) {
        continue;
      }
      String rest = id.substring(SPIFFE.length());
      int slash = rest.indexOf('/');
      // only workload identities (<td>/ns/<ns>/sa/<sa>) are rewritten, as Istio parses them
      if (slash <= 0 || !rest.substring(slash).matches("/ns/[^/]+/sa/[^/]+")) {
        continue;
      }
      for (String td : aliases) {
        out.add(SPIFFE + td + rest.substring(slash));
      }
    }
    return List.copyOf(out);
  }

  /**
   * Hosts among {@code hosts} (all hosts when null) whose identities differ between the snapshots:
   * their clients' clusters must be rebuilt, as Istio turns such an endpoint update into a full
   * push.
   */
  static Set<String> changed(MeshSnapshot before, MeshSnapshot after, Set<String> hosts) {
    Set<String> candidates = new HashSet<>();
    if (hosts == null) {
      candidates.addAll(before.services().keySet());
      candidates.addAll(after.services().keySet());
    } else {
      candidates.addAll(hosts);
    }
    Set<String> out = new HashSet<>();
    for (String h : candidates) {
      MeshService b = before.services().get(h);
      MeshService a = after.services().get(h);
      List<String> was = b == null ? List.of() : of(before, b);
      List<String> is = a == null ? List.of() : of(after, a);
      if (!was.equals(is)) {
        out.add(h);
      }
    }
    return out;
  }

  /** The namespace of a host's service in either snapshot. */
  static String namespace(MeshSnapshot before, MeshSnapshot after, String host) {
    MeshService s = after.services().get(host);
    if (s == null) {
      s = before.services().get(host);
    }
    return s == null ? "" : s.namespace();
  }
}
