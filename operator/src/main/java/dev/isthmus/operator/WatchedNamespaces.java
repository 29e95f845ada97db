package dev.isthmus.operator;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code WatchedNamespaces} decides which namespaces the operator reconciles IstioOperators in:
 * those given with {@code --namespaces}, else OLM's target namespaces ({@value #WATCH_NAMESPACE},
 * which the bundle's Deployment fills from the {@code olm.targetNamespaces} annotation), else the
 * operator's own namespace ({@value #POD_NAMESPACE}), else {@value #DEFAULT}. Never every
 * namespace: whoever may create an IstioOperator where the operator looks gets what the operator's
 * ClusterRole can do (ClusterRoles, webhooks, a privileged DaemonSet), so that set must hold only
 * namespaces that cluster administrators control.
 */
public final class WatchedNamespaces {
  public static final String WATCH_NAMESPACE = "WATCH_NAMESPACE";
  public static final String POD_NAMESPACE = "POD_NAMESPACE";
  public static final String DEFAULT = "istio-system";

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private WatchedNamespaces() {}

  /**
   * The namespaces to watch: {@code flag} (a comma-separated list, or null when not given), then
   * the environment as above. A blank {@value #WATCH_NAMESPACE} (OLM's AllNamespaces mode, which
   * the bundle does not offer) falls through to the operator's own namespace.
   *
   * @throws IllegalArgumentException when {@code flag} is given but names no namespace, or a name
   *     is not a namespace name
   */
  public static Set<String> resolve(String flag, Map<String, String> env) {
    if (flag != null) {
      Set<String> given = split(flag);
      if (given.isEmpty()) {
        throw new IllegalArgumentException("--namespaces names no namespace");
      }
      return given;
    }
    Set<String> targets = split(env.getOrDefault(WATCH_NAMESPACE, ""));
    if (!targets.isEmpty()) {
      return targets;
    }
    String own = env.getOrDefault(POD_NAMESPACE, "").trim();
    return Set.of(own.isEmpty() ? DEFAULT : own);
  }

  /**
   * Splits a comma-separated list. Each name must be a namespace name (a DNS-1123 label): JOSDK
   * reads some strings (its all-namespaces and current-namespace markers) as more than a name.
   */
  private static Set<String> split(String list) {
    Set<String> out = new TreeSet<>();
    for (String n : Arrays.stream(list.split(",")).map(String::trim).toList()) {
      if (n.isEmpty()) {
        continue;
      }
      if (!NAME.matcher(n).matches()) {
        throw new IllegalArgumentException(
            "namespace \"" + n + "\": expected a namespace name (lower case DNS-1123 label)");
      }
      out.add(n);
    }
    return out;
  }
}
