package dev.isthmus.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.KubeObjects;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

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

  /** Operator configuration that watches only {@code ns}. */
  static IsthmusOperator.Config watching(String ns) {
    return IsthmusOperator.Config.defaults().withWatchedNamespaces(Set.of(ns));
  }

  /** The installation status of {@code iop}; null while it has none or when it is gone. */
  static InstallStatus status(IstioOperator iop) {
    return iop == null || iop.getStatus() == null ? null : iop.getStatus().status;
  }

  /** Waits until the IstioOperator that {@code iop} reads reports {@code expected}. */
  static void awaitStatus(Supplier<IstioOperator> iop, InstallStatus expected) {
    await().atMost(TIMEOUT).until(() -> status(iop.get()) == expected);
  }

  /** Deletes the IstioOperator and waits until uninstall has let go of it (its finalizer). */
  static void deleteAndAwait(Resource<IstioOperator> iop) {
    iop.delete();
    await().atMost(TIMEOUT).until(() -> iop.get() == null);
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

  /** resourceVersion of every rendered object, by key. */
  static Map<String, String> versions(KubernetesClient client, RenderResult r) {
    Map<String, String> out = new TreeMap<>();
    for (ObjectNode o : r.objects()) {
      GenericKubernetesResource l = KubeObjects.live(client, o);
      out.put(Objects.key(o), l == null ? "<missing>" : l.getMetadata().getResourceVersion());
    }
    return out;
  }

  /**
   * Every rendered object but the CRDs exists exactly once, owned by {@code owner}, and nothing
   * else is owned by it: what an interrupted apply must converge to.
   */
  static void assertOwnedExactly(
      KubernetesClient client, IstioOperator owner, String namespace, RenderResult expected) {
    Pruner pruner = new Pruner(client, Set.of(namespace));
    java.util.List<String> owned = new java.util.ArrayList<>();
    for (ManagedKinds.Kind kind : ManagedKinds.ALL) {
      pruner.owned(owner, kind).forEach(o -> owned.add(Objects.key(o)));
    }
    // CRDs are shared by every installation and keep the labels of the first that applied them
    assertThat(owned.stream().filter(k -> !k.startsWith("CustomResourceDefinition/")))
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(
            expected.objects().stream()
                .map(Objects::key)
                .filter(k -> !k.startsWith("CustomResourceDefinition/"))
                .toList());
  }

  /** Waits until every object of {@code r} exists. */
  static void awaitApplied(KubernetesClient client, RenderResult r) {
    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(versions(client, r)).doesNotContainValue("<missing>"));
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
