package dev.isthmus.operator;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Helpers shared by the operator's integration tests: IstioOperator YAML, rendered sets, simulated
 * rollouts.
 */
final class OperatorFixture {
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  private OperatorFixture() {}

  static IstioOperator iop(String yaml) {
    return Serialization.unmarshal(yaml, IstioOperator.class);
  }

  /** An IstioOperator installing only the Base component (CRDs and shared objects, no Pods). */
  static IstioOperator baseOnly(String name, String namespace) {
    return iop(
        """
        apiVersion: install.istio.io/v1alpha1
        kind: IstioOperator
        metadata:
          name: %s
          namespace: %s
        spec:
          profile: empty
          components:
            base:
              enabled: true
        """
            .formatted(name, namespace));
  }

  static void namespace(KubernetesClient client, String ns) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
  }

  /**
   * What the operator should apply for this IstioOperator as it is stored (with its name and
   * namespace).
   */
  static RenderResult rendered(IstioOperator iop) {
    return Translator.render(iop);
  }

  static GenericKubernetesResource live(KubernetesClient client, ObjectNode o) {
    var op =
        client.genericKubernetesResources(o.path("apiVersion").asText(), o.path("kind").asText());
    String ns = o.path("metadata").path("namespace").asText(null);
    String name = o.path("metadata").path("name").asText();
    return ns == null ? op.withName(name).get() : op.inNamespace(ns).withName(name).get();
  }

  /** resourceVersion of every rendered object, by key. */
  static Map<String, String> versions(KubernetesClient client, RenderResult r) {
    Map<String, String> out = new TreeMap<>();
    for (ObjectNode o : r.objects()) {
      GenericKubernetesResource l = live(client, o);
      out.put(Objects.key(o), l == null ? "<missing>" : l.getMetadata().getResourceVersion());
    }
    return out;
  }

  /**
   * Plays the Deployment controller and kubelet: every Deployment of the set reports a completed
   * rollout.
   */
  static void simulateReady(KubernetesClient client, RenderResult r) {
    for (ObjectNode o : r.objects()) {
      if (!o.path("kind").asText().equals("Deployment")) {
        continue;
      }
      var res =
          client
              .apps()
              .deployments()
              .inNamespace(o.path("metadata").path("namespace").asText())
              .withName(o.path("metadata").path("name").asText());
      await().atMost(TIMEOUT).until(() -> res.get() != null);
      Rollouts.markComplete(client, res.get());
    }
  }

  /** Counts successful reconciles. */
  static final class Counter implements IstioOperatorReconciler.InstallListener {
    final AtomicInteger applied = new AtomicInteger();
    final AtomicInteger uninstalled = new AtomicInteger();

    @Override
    public void applied(IstioOperator iop, RenderResult rendered) {
      applied.incrementAndGet();
    }

    @Override
    public void uninstalled(IstioOperator iop) {
      uninstalled.incrementAndGet();
    }
  }
}
