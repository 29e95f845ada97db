package dev.isthmus.cli.cluster;

import dev.isthmus.testing.TestKubeApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shared test API server, a kubeconfig file for it, and a way to run a verb against it. */
final class ClusterVerbsFixture {
  static final TestKubeApiServer SERVER = TestKubeApiServer.get();
  static final Path KUBECONFIG = kubeconfig();

  private ClusterVerbsFixture() {}

  static KubernetesClient client() {
    return SERVER.client();
  }

  private static Path kubeconfig() {
    try {
      Path p = Files.createTempFile("isthmus-cluster-verbs", ".kubeconfig");
      Files.writeString(p, SERVER.kubeConfigYaml());
      p.toFile().deleteOnExit();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code isthmus <verb> <args> --kubeconfig <the test server>}. */
  static VerbRunner.Run run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--kubeconfig");
    all.add(KUBECONFIG.toString());
    return VerbRunner.run(all.toArray(String[]::new));
  }

  static void namespace(String name, String... labels) {
    NamespaceBuilder b = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
    for (int i = 0; i < labels.length; i += 2) {
      b.editMetadata().addToLabels(labels[i], labels[i + 1]).endMetadata();
    }
    client().resource(b.build()).serverSideApply();
  }

  /** A revision's injector webhook, as the operator installs it (the parts a tag reads). */
  static MutatingWebhookConfiguration injector(String revision, String caBundle) {
    String suffix = "default".equals(revision) ? "" : "-" + revision;
    MutatingWebhookConfiguration mwc =
        new MutatingWebhookConfigurationBuilder()
            .withNewMetadata()
            .withName("istio-sidecar-injector" + suffix)
            .addToLabels("istio.io/rev", revision)
            .addToLabels("app", "sidecar-injector")
            .endMetadata()
            .addNewWebhook()
            .withName("rev.namespace.sidecar-injector.istio.io")
            .withNewClientConfig()
            .withCaBundle(caBundle)
            .withNewService()
            .withName("istiod" + suffix)
            .withNamespace("istio-system")
            .withPath("/inject")
            .withPort(443)
            .endService()
            .endClientConfig()
            .addNewRule()
            .withApiGroups("")
            .withApiVersions("v1")
            .withOperations("CREATE")
            .withResources("pods")
            .endRule()
            .withNewNamespaceSelector()
            .addToMatchLabels("never-matches-a-test-namespace", "true")
            .endNamespaceSelector()
            .withFailurePolicy("Ignore")
            .withSideEffects("None")
            .withAdmissionReviewVersions("v1")
            .endWebhook()
            .build();
    return client().resource(mwc).serverSideApply();
  }
}
