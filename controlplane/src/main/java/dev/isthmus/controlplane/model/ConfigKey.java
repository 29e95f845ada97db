package dev.isthmus.controlplane.model;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ConfigKey} names one changed input of a push, like Istio's {@code ConfigKey} in a push
 * request: its kind, namespace and name, and for routing config the hosts it names (as written, to
 * be resolved against the snapshot), so that only proxies that can see those hosts are recomputed.
 *
 * @param kind what changed
 * @param namespace namespace of the object (empty for {@link Kind#WORKLOAD})
 * @param name object name; the hostname for {@link Kind#SERVICE}, the address for {@link
 *     Kind#WORKLOAD}
 * @param hosts hosts a VirtualService or DestinationRule names, before and after the change
 * @param selectors workload selectors of a Sidecar before and after the change; empty when one of
 *     them selects the whole namespace
 */
public record ConfigKey(
    Kind kind,
    String namespace,
    String name,
    Set<String> hosts,
    List<Map<String, String>> selectors) {

  /** Kinds of change the push controller distinguishes. */
  public enum Kind {
    /** A service definition (Kubernetes Service or ServiceEntry host) changed. */
    SERVICE,
    /** A workload's address, labels or service account changed (pod or WorkloadEntry). */
    WORKLOAD,
    VIRTUAL_SERVICE,
    DESTINATION_RULE,
    GATEWAY,
    SIDECAR,
    PEER_AUTHENTICATION,
    AUTHORIZATION_POLICY,
    REQUEST_AUTHENTICATION,
    /** Anything the push controller cannot scope: every proxy is recomputed. */
    MESH
  }

  public ConfigKey {
    hosts = Set.copyOf(hosts);
    selectors = selectors.stream().map(Map::copyOf).toList();
  }

  /** A key without selectors. */
  public ConfigKey(Kind kind, String namespace, String name, Set<String> hosts) {
    this(kind, namespace, name, hosts, List.of());
  }

  /** A key without hosts. */
  public static ConfigKey of(Kind kind, String namespace, String name) {
    return new ConfigKey(kind, namespace, name, Set.of());
  }

  /** A changed service host. */
  public static ConfigKey service(String namespace, String hostname) {
    return of(Kind.SERVICE, namespace, hostname);
  }

  /** A changed workload, by address. */
  public static ConfigKey workload(String address) {
    return of(Kind.WORKLOAD, "", address);
  }
}
