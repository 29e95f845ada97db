package dev.isthmus.controlplane.xds;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSettingDistribute;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSettingFailover;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code LocalityLoadBalancing} applies a DestinationRule's {@code localityLbSetting} to the
 * endpoints of one proxy, as Istio does. Without a setting the mesh default applies (enabled);
 * {@code enabled: false} turns it off. {@code distribute} rewrites locality weights for proxies
 * whose locality matches {@code from} (localities matching no {@code to} entry get no endpoints);
 * otherwise, and only when outlier detection is configured (without it Envoy would never leave
 * priority 0), priorities are assigned: {@code failoverPriority} labels first, then locality (same
 * region/zone/subzone 0, same region/zone 1, same region 2, other 3, a region outside the {@code
 * failover} target 4), renumbered from 0 without gaps.
 */
final class LocalityLoadBalancing {
  /** What to apply to one cluster for one proxy. */
  record Plan(
      List<LocalityLoadBalancerSettingDistribute> distribute,
      List<LocalityLoadBalancerSettingFailover> failover,
      List<String> failoverPriority) {
    boolean usesLocality() {
      return !distribute.isEmpty() || failoverPriority.isEmpty() || !failover.isEmpty();
    }
  }

  private LocalityLoadBalancing() {}

  /** The plan for a cluster's effective policy, or null when nothing depends on the proxy. */
  static Plan plan(TrafficPolicy tp) {
    LocalityLoadBalancerSetting s =
        tp == null || tp.getLoadBalancer() == null
            ? null
            : tp.getLoadBalancer().getLocalityLbSetting();
    if (s != null && Boolean.FALSE.equals(s.getEnabled())) {
      return null;
    }
    List<LocalityLoadBalancerSettingDistribute> distribute =
        s == null || s.getDistribute() == null ? List.of() : s.getDistribute();
    if (!distribute.isEmpty()) {
      return new Plan(distribute, List.of(), List.of());
    }
    if (tp == null || tp.getOutlierDetection() == null) {
      return null;
    }
    return new Plan(
        List.of(),
        s == null || s.getFailover() == null ? List.of() : s.getFailover(),
        s == null || s.getFailoverPriority() == null ? List.of() : s.getFailoverPriority());
  }

  /**
   * Priority of an endpoint from {@code failoverPriority}: 0 when the proxy and the endpoint agree
   * on every label, else the number of labels from the first disagreeing one on. A {@code
   * label=value} entry compares the endpoint with that value instead of the proxy's label.
   */
  static int labelPriority(
      List<String> failoverPriority, Map<String, String> proxy, Map<String, String> endpoint) {
    for (int i = 0; i < failoverPriority.size(); i++) {
      String entry = failoverPriority.get(i);
      int eq = entry.indexOf('=');
      String label = eq < 0 ? entry : entry.substring(0, eq);
      String want = eq < 0 ? proxy.get(label) : entry.substring(eq + 1);
      if (want == null || !want.equals(endpoint.get(label))) {
        return failoverPriority.size() - i;
      }
    }
    return 0;
  }

  /** Applies locality weights or priorities to groups already carrying label priorities. */
  static List<LocalityLbEndpoints> apply(
      Plan plan, Locality proxy, boolean proxyHasLocality, List<LocalityLbEndpoints> groups) {
    if (!plan.distribute().isEmpty()) {
      return proxyHasLocality ? distribute(plan.distribute(), proxy, groups) : groups;
    }
    boolean byLocality =
        proxyHasLocality && (plan.failoverPriority().isEmpty() || !plan.failover().isEmpty());
    List<LocalityLbEndpoints> out = new ArrayList<>(groups.size());
    for (LocalityLbEndpoints g : groups) {
      int p = g.getPriority();
      if (byLocality) {
        p = p * 5 + localityPriority(proxy, g.getLocality(), plan.failover());
      }
      out.add(g.toBuilder().setPriority(p).build());
    }
    TreeSet<Integer> used = new TreeSet<>();
    out.forEach(g -> used.add(g.getPriority()));
    List<Integer> order = new ArrayList<>(used);
    List<LocalityLbEndpoints> compact = new ArrayList<>(out.size());
    for (LocalityLbEndpoints g : out) {
      compact.add(g.toBuilder().setPriority(order.indexOf(g.getPriority())).build());
    }
    return compact;
  }

  private static int localityPriority(
      Locality proxy, Locality ep, List<LocalityLoadBalancerSettingFailover> failover) {
    int p;
    if (!proxy.getRegion().equals(ep.getRegion())) {
      p = 3;
      for (LocalityLoadBalancerSettingFailover f : failover) {
        if (proxy.getRegion().equals(f.getFrom())) {
          if (!ep.getRegion().equals(f.getTo())) {
            p = 4;
          }
          break;
        }
      }
    } else if (!proxy.getZone().equals(ep.getZone())) {
      p = 2;
    } else if (!proxy.getSubZone().equals(ep.getSubZone())) {
      p = 1;
    } else {
      p = 0;
    }
    return p;
  }

  private static List<LocalityLbEndpoints> distribute(
      List<LocalityLoadBalancerSettingDistribute> rules,
      Locality proxy,
      List<LocalityLbEndpoints> groups) {
    for (LocalityLoadBalancerSettingDistribute rule : rules) {
      if (rule.getFrom() == null || !matches(proxy, rule.getFrom())) {
        continue;
      }
      long[] weights = new long[groups.size()];
      boolean[] matched = new boolean[groups.size()];
      Map<String, Long> to = rule.getTo() == null ? Map.of() : new TreeMap<>(rule.getTo());
      for (var e : to.entrySet()) {
        long total = 0;
        List<Integer> hit = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
          if (!matched[i] && matches(groups.get(i).getLocality(), e.getKey())) {
            matched[i] = true;
            hit.add(i);
            total += Math.max(1, groups.get(i).getLoadBalancingWeight().getValue());
          }
        }
        for (int i : hit) {
          long original = Math.max(1, groups.get(i).getLoadBalancingWeight().getValue());
          weights[i] = (long) Math.ceil((double) original * e.getValue() / total);
        }
      }
      List<LocalityLbEndpoints> out = new ArrayList<>();
      for (int i = 0; i < groups.size(); i++) {
        LocalityLbEndpoints.Builder g = groups.get(i).toBuilder();
        if (!matched[i]) {
          g.clearLbEndpoints(); // Istio keeps the locality but sends it no traffic
        } else if (weights[i] > 0) {
          g.setLoadBalancingWeight(UInt32Value.of((int) weights[i]));
        }
        out.add(g.build());
      }
      return out;
    }
    return groups;
  }

  /** Istio's locality pattern: {@code region/zone/subzone}, each part may be {@code *}. */
  static boolean matches(Locality l, String pattern) {
    String[] p = pattern.split("/", -1);
    String[] v = {l.getRegion(), l.getZone(), l.getSubZone()};
    for (int i = 0; i < p.length && i < 3; i++) {
      if (p[i].equals("*")) {
        return true;
      }
      if (!p[i].equals(v[i])) {
        return false;
      }
    }
    return true;
  }
}
