package dev.isthmus.controlplane.model;

import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code Change} is one change of what proxies see, Istio's push request.
 *
 * @param full whether configuration changed: with no {@code configs} that means everything
 *     (mesh-wide), otherwise just those
 * @param hosts hosts whose endpoints (or definition) changed; empty with {@code full == false}
 *     means all hosts
 * @param configs the changed configuration, by kind, namespace and name
 */
public record Change(boolean full, Set<String> hosts, Set<ConfigKey> configs) {
  public Change {
    hosts = Set.copyOf(hosts);
    configs = Set.copyOf(configs);
    if (!configs.isEmpty()) {
      full = true;
    }
  }

  /** An unscoped change. */
  public Change(boolean full, Set<String> hosts) {
    this(full, hosts, Set.of());
  }

  /** A mesh-wide configuration change: every proxy is recomputed. */
  public static Change config() {
    return new Change(true, Set.of(), Set.of());
  }

  /** An endpoint change of the given hosts (all when empty). */
  public static Change endpoints(Set<String> hosts) {
    return new Change(false, hosts, Set.of());
  }

  /**
   * A scoped configuration change, possibly with endpoint changes of {@code hosts}; null when
   * nothing changed.
   */
  public static Change of(Set<ConfigKey> configs, Set<String> hosts) {
    if (configs.isEmpty()) {
      return hosts.isEmpty() ? null : endpoints(hosts);
    }
    return new Change(true, hosts, configs);
  }

  /** Whether every proxy is recomputed. */
  public boolean meshWide() {
    return full && configs.isEmpty();
  }

  /** Kinds of configuration that changed. */
  public Set<ConfigKey.Kind> kinds() {
    Set<ConfigKey.Kind> k = EnumSet.noneOf(ConfigKey.Kind.class);
    configs.forEach(c -> k.add(c.kind()));
    return k;
  }

  /** Namespaces with changed configuration. */
  public Set<String> namespaces() {
    Set<String> n = new TreeSet<>();
    configs.forEach(c -> n.add(c.namespace()));
    return n;
  }
}
