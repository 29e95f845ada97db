package dev.isthmus.controlplane.authz;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * {@code TrustDomains} is the mesh trust domain followed by its aliases. A principal written for
 * any of them (or for {@code cluster.local}) is expanded to one principal per trust domain, so a
 * mesh can rename its trust domain without rewriting its policies.
 */
final class TrustDomains {
  private static final String CLUSTER_LOCAL = "cluster.local";

  private final List<String> domains;

  TrustDomains(String trustDomain, List<String> aliases) {
    List<String> all = new ArrayList<>();
    if (trustDomain != null && !trustDomain.isEmpty()) {
      all.add(trustDomain);
      if (aliases != null) {
        all.addAll(aliases);
      }
    }
    this.domains = List.copyOf(all);
  }

  List<String> domains() {
    return domains;
  }

  /**
   * Rewrites {@code td/ns/x/sa/y} principals for every trust domain they belong to. Without a trust
   * domain the principals stay as written: Istio's empty bundle would drop {@code cluster.local}
   * principals, which turns an ALLOW from one identity into an ALLOW for every identity.
   */
  List<String> replaceAliases(List<String> principals) {
    if (domains.isEmpty()) {
      return principals;
    }
    List<String> out = new ArrayList<>();
    for (String principal : principals) {
      String[] parts = principal.split("/", -1);
      if (parts.length != 5 || parts[0].equals("*")) {
        out.add(principal);
        continue;
      }
      String td = parts[0];
      if (matchesAny(td) || td.equals(CLUSTER_LOCAL)) {
        out.addAll(forEveryDomain(principal, parts, td));
      } else {
        out.add(principal);
      }
    }
    return out;
  }

  private List<String> forEveryDomain(String principal, String[] parts, String fromPrincipal) {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String td : domains) {
      if (suffixMatch(td, fromPrincipal)) {
        out.add(principal);
      } else {
        out.add(td + "/" + String.join("/", List.of(parts).subList(1, parts.length)));
      }
    }
    return new ArrayList<>(out);
  }

  /** A trust domain value that is one of ours stands for all of ours. */
  List<String> expandAliases(List<String> values) {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String v : values) {
      if (domains.contains(v)) {
        out.addAll(domains);
      } else {
        out.add(v);
      }
    }
    return new ArrayList<>(out);
  }

  private boolean matchesAny(String a) {
    for (String s : domains) {
      if (a.equals(s)
          || s.equals("*")
          || prefixMatch(a, s)
          || prefixMatch(s, a)
          || suffixMatch(a, s)
          || suffixMatch(s, a)) {
        return true;
      }
    }
    return false;
  }

  private static boolean prefixMatch(String a, String pattern) {
    return pattern.endsWith("*") && a.startsWith(pattern.substring(0, pattern.length() - 1));
  }

  private static boolean suffixMatch(String a, String pattern) {
    return pattern.startsWith("*") && a.endsWith(pattern.substring(1));
  }
}
