package dev.isthmus.controlplane.xds;

import dev.isthmus.controlplane.authz.AuthzBuilder;
import dev.isthmus.controlplane.authz.AuthzOptions;
import dev.isthmus.controlplane.authz.AuthzPolicy;
import dev.isthmus.controlplane.model.SecurityPolicies;
import dev.isthmus.controlplane.server.KubeEvents;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PolicyProblems} reports the AuthorizationPolicies that cannot be translated in full (a
 * rule the webhook would have refused, written while it was down): once per version of a policy, a
 * warning in the log, a count under {@code
 * pilot_total_rejected_configs{kind="AuthorizationPolicy"}} and a Warning Event on the policy. What
 * was left out is left out as Istio leaves out an invalid rule; pushes go on. Events are written
 * off the push path.
 */
public final class PolicyProblems implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyProblems.class);
  static final String COMPONENT = "isthmus-pilot";

  private final KubernetesClient client;
  private final Consumer<String> metric;
  private final Map<String, Integer> seen = new ConcurrentHashMap<>();
  private final ExecutorService events =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "policy-events");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param client where Events are written (null: none)
   * @param metric counts one untranslatable policy of a kind
   */
  public PolicyProblems(KubernetesClient client, Consumer<String> metric) {
    this.client = client;
    this.metric = metric;
  }

  /** Checks the policies not checked in their current version. */
  public void check(SecurityPolicies policies) {
    Set<String> present = new HashSet<>();
    AuthzOptions options = SecurityFilters.options(policies.settings());
    for (var e : policies.authorizationPolicies()) {
      present.add(e.key());
      int version = Objects.hash(e.spec(), policies.settings());
      Integer before = seen.put(e.key(), version);
      if (before != null && before == version) {
        continue;
      }
      AuthzPolicy p = SecurityFilters.authzPolicy(e);
      Set<String> problems = new LinkedHashSet<>();
      try {
        problems.addAll(AuthzBuilder.http(List.of(p), options).problems());
        problems.addAll(AuthzBuilder.tcp(List.of(p), options).problems());
      } catch (RuntimeException ex) {
        problems.add("cannot be translated: " + ex);
      }
      if (!problems.isEmpty()) {
        String message = String.join("; ", new ArrayList<>(problems));
        LOG.warn("AuthorizationPolicy {}: partly left out: {}", e.key(), message);
        metric.accept("AuthorizationPolicy");
        events.execute(() -> event(e.namespace(), e.name(), message));
      }
    }
    seen.keySet().retainAll(present);
  }

  private void event(String namespace, String name, String message) {
    if (client != null) {
      KubeEvents.warning(
          client,
          new ObjectReferenceBuilder()
              .withApiVersion("security.istio.io/v1")
              .withKind("AuthorizationPolicy")
              .withNamespace(namespace)
              .withName(name)
              .build(),
          "PolicyPartlyIgnored",
          message,
          COMPONENT);
    }
  }

  @Override
  public void close() {
    events.shutdownNow();
  }
}
