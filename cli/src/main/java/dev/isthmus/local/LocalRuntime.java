package dev.isthmus.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.controlplane.ControlPlaneConfig;
import dev.isthmus.controlplane.Istiod;
import dev.isthmus.operator.IstioOperatorReconciler;
import dev.isthmus.operator.Rollouts;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LocalRuntime} plays the kubelet for the control plane when there is no cluster to run
 * Pods: after each successful apply it runs every rendered istiod Deployment in-process ({@link
 * Istiod}: Pilot, Citadel, webhooks) and, once that instance reports ready, records the
 * Deployment's rollout as complete, so that the operator's health check and the IstioOperator
 * status see exactly what they would see in a cluster. Deleting the IstioOperator stops it.
 * Gateways, CNI and ztunnel run Envoy or node agents, which this runtime cannot start: their
 * Deployments stay unready.
 */
public final class LocalRuntime implements IstioOperatorReconciler.InstallListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalRuntime.class);

  private final KubernetesClient client;
  private final Map<String, Running> running = new ConcurrentHashMap<>();

  /** An istiod instance and the IstioOperator it belongs to. */
  private record Running(String owner, Istiod istiod) {}

  public LocalRuntime(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public void applied(IstioOperator iop, RenderResult rendered) {
    for (ComponentManifest component : rendered.components()) {
      if (!component.component().equals("Pilot")) {
        continue;
      }
      for (ObjectNode o : component.objects()) {
        if (!o.path("kind").asText().equals("Deployment")) {
          continue;
        }
        String ns = o.path("metadata").path("namespace").asText();
        String name = o.path("metadata").path("name").asText();
        String revision = o.path("metadata").path("labels").path("istio.io/rev").asText("default");
        Running r =
            running.computeIfAbsent(
                ns + "/" + name,
                k -> {
                  LOG.info("starting " + k + " (revision " + revision + ") in-process");
                  Istiod istiod =
                      Istiod.start(
                          ControlPlaneConfig.defaults()
                              .withEphemeralPorts()
                              .withNamespace(ns)
                              .withRevision(revision)
                              .withDebounce(Duration.ofMillis(100), Duration.ofSeconds(2)),
                          0,
                          client);
                  return new Running(owner(iop), istiod);
                });
        if (r.istiod().ready()) {
          markRolledOut(ns, name);
        }
      }
    }
  }

  @Override
  public void uninstalled(IstioOperator iop) {
    running
        .entrySet()
        .removeIf(
            e -> {
              if (!e.getValue().owner().equals(owner(iop))) {
                return false;
              }
              LOG.info("stopping " + e.getKey());
              e.getValue().istiod().close();
              return true;
            });
  }

  /** The running istiod for {@code namespace/name}, if any. */
  public Optional<Istiod> istiod(String namespace, String name) {
    return Optional.ofNullable(running.get(namespace + "/" + name)).map(Running::istiod);
  }

  /** Number of running istiod instances. */
  public int size() {
    return running.size();
  }

  private void markRolledOut(String ns, String name) {
    Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
    if (d != null) {
      Rollouts.markComplete(
          client, d); // writes nothing once complete: the steady state makes no writes
    }
  }

  private static String owner(IstioOperator iop) {
    return iop.getMetadata().getNamespace() + "/" + iop.getMetadata().getName();
  }

  @Override
  public void close() {
    running.values().forEach(r -> r.istiod().close());
    running.clear();
  }
}
