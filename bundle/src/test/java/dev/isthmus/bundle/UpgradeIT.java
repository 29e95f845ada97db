package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.operator.IsthmusOperator;
import dev.isthmus.operator.OwnerLabels;
import dev.isthmus.testing.KubeObjects;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.RenderResult;
import dev.isthmus.translate.Translator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A GitOps upgrade as Argo CD drives it: the folders {@code gitops/v1..v4} are successive commits
 * of a git folder of IstioOperators, each synced with server-side apply (field manager {@code
 * argocd-controller}) and pruned by tracking label. v1 installs the default profile, v2 changes the
 * proxies' tag and the control plane's release in place, v3 adds a canary revision, v4 removes the
 * old revision. After each sync the test plays the kubelet (completed rollouts), then checks that
 * every IstioOperator is HEALTHY for its current generation and that the live objects are what
 * {@link Translator#render} gives. A watch on Deployments checks that no istiod is deleted unless
 * another revision's istiod is ready at that moment.
 */
@WithKubeApiServer
class UpgradeIT {
  static final String NS = "istio-system";
  static final String TRACKING_LABEL = "app.kubernetes.io/instance";
  static final String APP = "istio-control-plane";

  @Test
  void gitFolderRevisionsUpgradeWithoutLosingTheControlPlane(KubernetesClient client)
      throws Exception {
    Rollouts.namespace(client, NS);
    List<String> violations = new CopyOnWriteArrayList<>();
    List<String> deletedIstiods = new CopyOnWriteArrayList<>();
    Map<String, String> istiodUids = new LinkedHashMap<>();
    try (IsthmusOperator operator =
            IsthmusOperator.start(client, IsthmusOperator.Config.defaults());
        Watch watch =
            client
                .apps()
                .deployments()
                .inNamespace(NS)
                .watch(new IstiodWatcher(client, violations, deletedIstiods))) {
      sync(client, "v1");
      converge(client, Set.of("installed-state"));
      istiodUids.put("v1", uid(client, "istiod"));
      String v1Image = image(client, "istiod");

      sync(client, "v2");
      converge(client, Set.of("installed-state"));
      assertThat(uid(client, "istiod"))
          .as("in-place upgrade keeps the istiod Deployment")
          .isEqualTo(istiodUids.get("v1"));
      assertThat(image(client, "istiod")).isNotEqualTo(v1Image).endsWith(":0.1.1");
      assertThat(proxyTag(client, "istio-sidecar-injector")).isEqualTo("1.28.1");

      sync(client, "v3");
      converge(client, Set.of("installed-state", "canary"));
      assertThat(uid(client, "istiod")).isEqualTo(istiodUids.get("v1"));
      assertThat(image(client, "istiod-canary")).endsWith(":0.2.0");
      assertThat(proxyTag(client, "istio-sidecar-injector-canary")).isEqualTo("1.28.2");

      sync(client, "v4");
      await()
          .atMost(Rollouts.TIMEOUT)
          .until(
              () ->
                  client
                          .resources(IstioOperator.class)
                          .inNamespace(NS)
                          .withName("installed-state")
                          .get()
                      == null);
      converge(client, Set.of("canary"));
      assertThat(client.apps().deployments().inNamespace(NS).withName("istiod").get()).isNull();
      assertThat(deletedIstiods).containsExactly("istiod");
      assertThat(violations).isEmpty();

      client.resources(IstioOperator.class).inNamespace(NS).withName("canary").delete();
      await()
          .atMost(Rollouts.TIMEOUT)
          .until(
              () ->
                  client.resources(IstioOperator.class).inNamespace(NS).withName("canary").get()
                      == null);
    }
  }

  /**
   * Argo CD's sync of one commit: server-side apply of every file, then prune what the commit no
   * longer has.
   */
  static void sync(KubernetesClient client, String commit) throws IOException, URISyntaxException {
    Path dir = Path.of(UpgradeIT.class.getResource("/gitops/" + commit).toURI());
    Set<String> inGit = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path f : files) {
      IstioOperator iop;
      try (InputStream in = Files.newInputStream(f)) {
        iop = Serialization.unmarshal(in, IstioOperator.class);
      }
      iop.getMetadata().setLabels(Map.of(TRACKING_LABEL, APP));
      client.resource(iop).fieldManager("argocd-controller").forceConflicts().serverSideApply();
      inGit.add(iop.getMetadata().getName());
    }
    for (IstioOperator live :
        client
            .resources(IstioOperator.class)
            .inNamespace(NS)
            .withLabel(TRACKING_LABEL, APP)
            .list()
            .getItems()) {
      if (!inGit.contains(live.getMetadata().getName())) {
        client.resource(live).delete();
      }
    }
  }

  /**
   * Completes the rollouts of each IstioOperator until all are HEALTHY for their generation, then
   * compares objects.
   */
  static void converge(KubernetesClient client, Set<String> names) {
    for (String name : names) {
      var res = client.resources(IstioOperator.class).inNamespace(NS).withName(name);
      await().atMost(Rollouts.TIMEOUT).until(() -> observedCurrent(res.get()));
      Rollouts.completeRollouts(client, Translator.render(res.get()));
      await()
          .atMost(Rollouts.TIMEOUT)
          .until(
              () ->
                  observedCurrent(res.get())
                      && res.get().getStatus().status == InstallStatus.HEALTHY);
    }
    for (String name : names) {
      IstioOperator iop =
          client.resources(IstioOperator.class).inNamespace(NS).withName(name).get();
      RenderResult rendered = Translator.render(iop);
      List<String> drift = new ArrayList<>();
      for (ObjectNode o : rendered.objects()) {
        GenericKubernetesResource live = KubeObjects.live(client, o);
        String key =
            o.path("kind").asText()
                + " "
                + o.path("metadata").path("namespace").asText("")
                + "/"
                + o.at("/metadata/name").asText();
        if (live == null) {
          drift.add(key + ": missing");
          continue;
        }
        String owner =
            live.getMetadata().getLabels() == null
                ? null
                : live.getMetadata().getLabels().get(OwnerLabels.OWNING_RESOURCE);
        if (!name.equals(owner)) {
          continue; // a shared cluster-wide object first installed by the other revision
        }
        JsonNode liveTree = Serialization.jsonMapper().valueToTree(live);
        Drift.of(o, liveTree).forEach(d -> drift.add(key + " " + d));
      }
      assertThat(drift).as("live objects of %s against the rendered manifest", name).isEmpty();
    }
  }

  static boolean observedCurrent(IstioOperator iop) {
    return iop != null
        && iop.getStatus() != null
        && iop.getStatus().observedGeneration != null
        && iop.getStatus().observedGeneration.equals(iop.getMetadata().getGeneration());
  }

  static Deployment deployment(KubernetesClient client, String name) {
    return client.apps().deployments().inNamespace(NS).withName(name).get();
  }

  static String uid(KubernetesClient client, String deployment) {
    return deployment(client, deployment).getMetadata().getUid();
  }

  /** The proxy tag the injector of that ConfigMap puts into pods ({@code global.tag}). */
  static String proxyTag(KubernetesClient client, String configMap) throws Exception {
    String values =
        client.configMaps().inNamespace(NS).withName(configMap).get().getData().get("values");
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(values)
        .path("global")
        .path("tag")
        .asText();
  }

  static String image(KubernetesClient client, String deployment) {
    return deployment(client, deployment)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .getImage();
  }

  /** Records istiod deletions and checks, at each, that another istiod has a completed rollout. */
  record IstiodWatcher(KubernetesClient client, List<String> violations, List<String> deleted)
      implements Watcher<Deployment> {
    @Override
    public void eventReceived(Action action, Deployment d) {
      String name = d.getMetadata().getName();
      if (action != Action.DELETED || !name.startsWith("istiod")) {
        return;
      }
      deleted.add(name);
      boolean replacementReady =
          client.apps().deployments().inNamespace(NS).list().getItems().stream()
              .filter(
                  o ->
                      o.getMetadata().getName().startsWith("istiod")
                          && !o.getMetadata().getName().equals(name))
              .anyMatch(
                  o ->
                      o.getStatus() != null
                          && o.getStatus().getAvailableReplicas() != null
                          && o.getStatus().getAvailableReplicas() > 0
                          && o.getStatus().getObservedGeneration() != null
                          && o.getStatus().getObservedGeneration()
                              >= o.getMetadata().getGeneration());
      if (!replacementReady) {
        violations.add("istiod Deployment " + name + " deleted while no other istiod was ready");
      }
    }

    @Override
    public void onClose(WatcherException cause) {}
  }
}
