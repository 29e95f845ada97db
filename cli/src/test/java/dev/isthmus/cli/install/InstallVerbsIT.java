package dev.isthmus.cli.install;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.operator.InstalledState;
import dev.isthmus.operator.ManagedKinds;
import dev.isthmus.operator.OwnerLabels;
import dev.isthmus.operator.Rollouts;
import dev.isthmus.testing.TestKubeApiServer;
import dev.isthmus.testing.WithKubeApiServer;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code isthmus install → verify-install → diff → upgrade → uninstall} against a real
 * kube-apiserver + etcd. There is no kubelet or Deployment controller: a background thread plays
 * their part by marking every Deployment in the test namespace rolled out ({@link
 * Rollouts#markComplete}), which is what {@code install} waits for.
 */
@WithKubeApiServer
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallVerbsIT {
  static final String NS = "isthmus-verbs";
  static final String OWNER = "installed-state";

  /** The default profile (ingress gateway on) in its own namespace. */
  static final String V1 =
      """
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      spec:
        values:
          global:
            istioNamespace: isthmus-verbs
          pilot:
            autoscaleEnabled: false
      """;

  /** V1 with the egress gateway instead of the ingress one, and a label on istiod. */
  static final String V2 =
      V1
          + """
        components:
          ingressGateways:
            - name: istio-ingressgateway
              enabled: false
          egressGateways:
            - name: istio-egressgateway
              enabled: true
          pilot:
            k8s:
              overlays:
                - kind: Deployment
                  name: istiod
                  patches:
                    - path: metadata.labels.edition
                      value: second
      """;

  static KubernetesClient client;
  static Path dir;
  static Path kubeconfig;
  static Path v1;
  static Path v2;
  static Thread kubelet;
  static volatile boolean paused;

  record Run(int code, String out, String err) {}

  @BeforeAll
  static void start(KubernetesClient c) throws IOException {
    client = c;
    dir = Files.createTempDirectory("isthmus-verbs");
    kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, TestKubeApiServer.get().kubeConfigYaml());
    v1 = write("v1.yaml", V1);
    v2 = write("v2.yaml", V2);
    kubelet = new Thread(InstallVerbsIT::rollOut, "simulated-rollouts");
    kubelet.setDaemon(true);
    kubelet.start();
  }

  @AfterAll
  static void stop() {
    if (kubelet != null) {
      kubelet.interrupt();
    }
  }

  /** Stands in for the Deployment controller and kubelet: every Deployment here rolls out. */
  static void rollOut() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        if (!paused) {
          for (Deployment d : client.apps().deployments().inNamespace(NS).list().getItems()) {
            Rollouts.markComplete(client, d);
          }
        }
        Thread.sleep(200);
      } catch (KubernetesClientException e) {
        // a conflict with an apply in flight: the next round marks it
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  static Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  static Run answering(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    var in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
    if (!rest.contains("--kubeconfig")) {
      rest.add("--kubeconfig");
      rest.add(kubeconfig.toString());
    }
    String[] a = rest.toArray(String[]::new);
    int code =
        switch (args[0]) {
          case "install" -> InstallCommand.run(a, in, o, e);
          case "upgrade" -> UpgradeCommand.run(a, in, o, e);
          case "uninstall" -> UninstallCommand.run(a, in, o, e);
          case "verify-install" -> VerifyInstallCommand.run(a, in, o, e);
          case "diff" -> DiffCommand.run(a, in, o, e);
          default -> throw new IllegalArgumentException(args[0]);
        };
    Run r =
        new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    System.out.println("$ isthmus " + String.join(" ", args) + "\n" + r.out() + r.err());
    return r;
  }

  static Run run(String... args) {
    return answering("", args);
  }

  static RenderResult rendered(Path file) {
    InstallInput input = new InstallInput();
    input.files = List.of(file.toString());
    return input.render().rendered();
  }

  /** {@code Kind namespace/name} of every rendered object, as the plan names them. */
  static Set<String> described(RenderResult r) {
    Set<String> out = new TreeSet<>();
    for (ObjectNode o : r.objects()) {
      String ns = o.path("metadata").path("namespace").asText("");
      out.add(
          o.path("kind").asText()
              + " "
              + (ns.isEmpty() ? "" : ns + "/")
              + o.path("metadata").path("name").asText());
    }
    return out;
  }

  /** Every object carrying the install's owner labels, with its resourceVersion. */
  static Map<String, String> owned() {
    Map<String, String> out = new TreeMap<>();
    for (ManagedKinds.Kind kind : ManagedKinds.ALL) {
      var op = client.genericKubernetesResources(kind.apiVersion(), kind.kind());
      List<GenericKubernetesResource> items =
          (kind.namespaced() ? op.inAnyNamespace() : op)
              .withLabel(OwnerLabels.OWNING_RESOURCE, OWNER)
              .withLabel(OwnerLabels.OWNING_RESOURCE_NAMESPACE, NS)
              .list()
              .getItems();
      for (GenericKubernetesResource g : items) {
        String ns = g.getMetadata().getNamespace();
        out.put(
            g.getKind() + " " + (ns == null ? "" : ns + "/") + g.getMetadata().getName(),
            g.getMetadata().getResourceVersion());
      }
    }
    var state = client.configMaps().inNamespace(NS).withName(OWNER).get();
    out.put("installed-state", state == null ? "<none>" : state.getMetadata().getResourceVersion());
    return out;
  }

  static Set<String> planned(String out, String sign) {
    Set<String> objects = new TreeSet<>();
    for (String line : out.split("\n")) {
      for (String verb : List.of("create ", "update ", "prune ")) {
        if (line.startsWith(sign + " " + verb)) {
          objects.add(line.substring(sign.length() + 1 + verb.length()));
        }
      }
    }
    return objects;
  }

  @Test
  @Order(1)
  void onAnEmptyClusterThePlanCreatesEverythingAndChangesNothing() {
    Run diff = run("diff", "-f", v1.toString());
    // the test API server comes with the Istio CRDs: those are updated (labelled), not created
    Set<String> crds = new TreeSet<>(described(rendered(v1)));
    crds.removeIf(k -> !k.startsWith("CustomResourceDefinition "));
    Set<String> expected = new TreeSet<>(described(rendered(v1)));
    expected.removeAll(crds);
    expected.add("Namespace " + NS);
    assertThat(diff.code()).isEqualTo(DiffCommand.CHANGES);
    assertThat(planned(diff.out(), "+")).isEqualTo(expected);
    assertThat(crds).containsAll(planned(diff.out(), "~"));
    assertThat(diff.out())
        .contains("Plan: " + expected.size() + " to create, ")
        .contains(" to update, 0 to prune.");

    Run dry = run("install", "-f", v1.toString(), "--dry-run");
    assertThat(dry.code()).isZero();
    assertThat(dry.out()).contains("Plan: " + expected.size() + " to create").contains("Dry run");
    assertThat(client.namespaces().withName(NS).get()).isNull();
  }

  @Test
  @Order(2)
  void withoutYesAnAnswerOtherThanYesCancels() {
    for (String answer : List.of("", "n\n", "no thanks\n")) {
      Run r = answering(answer, "install", "-f", v1.toString());
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.out()).contains("Proceed? (y/N)").contains("Cancelled.");
    }
    assertThat(client.namespaces().withName(NS).get()).isNull();
  }

  @Test
  @Order(3)
  void installAppliesEveryComponentWaitsForItAndRecordsTheState() {
    Run r = answering("y\n", "install", "-f", v1.toString(), "--readiness-timeout", "60s");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("This will install the Istio")
        .contains("✔ Istio core installed")
        .contains("✔ Istiod installed")
        .contains("✔ Ingress gateways installed")
        .contains("✔ Installation complete");
    assertThat(r.out().indexOf("Istio core installed"))
        .isLessThan(r.out().indexOf("Istiod installed"));
    Map<String, String> owned = owned();
    assertThat(owned.keySet())
        .containsAll(
            described(rendered(v1)).stream()
                .filter(k -> !k.startsWith("CustomResourceDefinition "))
                .toList());
    assertThat(owned.get("installed-state")).isNotEqualTo("<none>");
  }

  @Test
  @Order(4)
  void anUnchangedRerunPlansNothing() {
    Run diff = run("diff", "-f", v1.toString());
    assertThat(diff.code()).as(diff.out()).isZero();
    assertThat(diff.out()).contains("Plan: 0 to create, 0 to update, 0 to prune.");
    Map<String, String> before = owned();
    Run again = run("install", "-f", v1.toString(), "-y");
    assertThat(again.code()).isZero();
    assertThat(owned()).isEqualTo(before);
  }

  @Test
  @Order(5)
  void verifyInstallFindsTheRecordedInstallation() {
    Run r = run("verify-install");
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out())
        .contains("✔ Deployment: istiod." + NS + " checked successfully")
        .contains("✔ Deployment: istio-ingressgateway." + NS + " checked successfully")
        .contains("✔ Istio is installed and verified successfully");
    Run byFile = run("verify-install", "-f", v1.toString());
    assertThat(byFile.code()).isZero();
  }

  static Stream<List<String>> badInputs() throws IOException {
    Path badYaml = write("bad.yaml", "spec:\n  profile: [unclosed\n");
    Path unknownField = write("unknown.yaml", "spec:\n  compnents: {}\n");
    Path refused =
        write(
            "refused.yaml",
            V1
                + """
              components:
                pilot:
                  k8s:
                    overlays:
                      - kind: Deployment
                        name: istiod
                        patches:
                          - path: spec.template.spec.containers.[name:discovery].ports.[containerPort:15010].containerPort
                            value: 70000
            """);
    Path unreachable =
        write(
            "unreachable",
            """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            contexts: [{name: c, context: {cluster: c, user: u}}]
            users: [{name: u, user: {token: t}}]
            current-context: c
            """);
    List<List<String>> cases = new ArrayList<>();
    for (String verb : List.of("install", "upgrade", "diff", "verify-install")) {
      cases.add(List.of(verb, "-f", badYaml.toString(), "-y", "input 1"));
      cases.add(List.of(verb, "-f", unknownField.toString(), "-y", "spec.compnents"));
      cases.add(
          List.of(
              verb,
              "-f",
              v1.toString(),
              "--set",
              "values.pilot.replicaCount",
              "-y",
              "--set values.pilot.replicaCount: expected PATH=VALUE"));
      cases.add(
          List.of(verb, "-f", dir.resolve("missing.yaml").toString(), "-y", "cannot read file"));
      cases.add(
          List.of(
              verb,
              "-f",
              v1.toString(),
              "--kubeconfig",
              unreachable.toString(),
              "-y",
              "cannot reach the Kubernetes API server at https://127.0.0.1:1"));
    }
    cases.add(
        List.of(
            "install",
            "-f",
            refused.toString(),
            "-y",
            "dry run refused Deployment " + NS + "/istiod"));
    cases.add(
        List.of(
            "upgrade",
            "-f",
            refused.toString(),
            "-y",
            "dry run refused Deployment " + NS + "/istiod"));
    cases.add(
        List.of(
            "install", "-f", v1.toString(), "--readiness-timeout", "soon", "-y", "not a duration"));
    cases.add(
        List.of(
            "upgrade",
            "-f",
            v1.toString(),
            "-r",
            "nosuch",
            "-y",
            "no Istio installation found for revision nosuch"));
    cases.add(
        List.of(
            "uninstall", "-r", "nosuch", "-y", "no Istio installation found for revision nosuch"));
    cases.add(List.of("uninstall", "-y", "at least one of --revision"));
    cases.add(
        List.of(
            "uninstall",
            "-r",
            "default",
            "--kubeconfig",
            unreachable.toString(),
            "-y",
            "cannot reach"));
    cases.add(
        List.of(
            "verify-install", "-r", "nosuch", "no Istio installation found for revision nosuch"));
    return cases.stream();
  }

  @Test
  @Order(6)
  void badInputToEveryVerbExitsOneNamingTheProblemAndChangesNothing() throws IOException {
    Map<String, String> before = owned();
    for (List<String> c : badInputs().toList()) {
      String says = c.get(c.size() - 1);
      List<String> args = new ArrayList<>(c.subList(0, c.size() - 1));
      if (List.of("diff", "verify-install").contains(args.get(0))) {
        args.remove("-y"); // they change nothing, so they ask nothing
      }
      Run r = run(args.toArray(String[]::new));
      assertThat(r.code()).as(String.join(" ", c)).isEqualTo(1);
      assertThat(r.err())
          .as(String.join(" ", c))
          .contains("isthmus " + c.get(0) + ": ")
          .contains(says);
    }
    assertThat(owned()).isEqualTo(before);
  }

  @Test
  @Order(7)
  void thePlanOfAnEditedInstallationListsExactlyItsCreatesUpdatesAndPrunes() {
    Set<String> before = described(rendered(v1));
    Set<String> after = described(rendered(v2));
    Set<String> creates = new TreeSet<>(after);
    creates.removeAll(before);
    Set<String> prunes = new TreeSet<>(before);
    prunes.removeAll(after);
    prunes.removeIf(k -> k.startsWith("CustomResourceDefinition "));
    assertThat(creates).anyMatch(k -> k.contains("istio-egressgateway"));
    assertThat(prunes).anyMatch(k -> k.contains("istio-ingressgateway"));

    Run diff = run("diff", "-f", v2.toString());
    assertThat(diff.code()).isEqualTo(DiffCommand.CHANGES);
    assertThat(planned(diff.out(), "+")).isEqualTo(creates);
    // the values ConfigMap records the merged values, which name the enabled gateways
    assertThat(planned(diff.out(), "~"))
        .containsExactly("ConfigMap " + NS + "/values", "Deployment " + NS + "/istiod");
    assertThat(planned(diff.out(), "-")).isEqualTo(prunes);
    assertThat(diff.out())
        .contains("metadata.labels.edition: (none) -> \"second\"")
        .contains(
            "Plan: %d to create, 2 to update, %d to prune."
                .formatted(creates.size(), prunes.size()));
  }

  @Test
  @Order(8)
  void upgradeAppliesTheEditAndPrunesWhatIsNoLongerRendered() {
    Run r = run("upgrade", "-f", v2.toString(), "-y");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Upgrading revision default in " + NS)
        .contains("✔ Egress gateways installed")
        .contains("✔ Installation complete");
    Map<String, String> owned = owned();
    assertThat(owned).doesNotContainKey("Deployment " + NS + "/istio-ingressgateway");
    assertThat(owned).containsKey("Deployment " + NS + "/istio-egressgateway");
    assertThat(
            client
                .apps()
                .deployments()
                .inNamespace(NS)
                .withName("istiod")
                .get()
                .getMetadata()
                .getLabels())
        .containsEntry("edition", "second");
    Run diff = run("diff", "-f", v2.toString());
    assertThat(diff.code()).isZero();
    assertThat(diff.out()).contains("Plan: 0 to create, 0 to update, 0 to prune.");
  }

  @Test
  @Order(9)
  void verifyInstallNamesWhatIsMissing() {
    client.services().inNamespace(NS).withName("istio-egressgateway").delete();
    Run r = run("verify-install", "-r", "default");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).contains("✘ Service: istio-egressgateway." + NS + ": not found");
    assertThat(r.err()).contains("isthmus verify-install: 1 of");
  }

  @Test
  @Order(10)
  void uninstallRemovesExactlyTheInstallation() {
    Map<String, String> before = owned();
    Run dry = run("uninstall", "-r", "default", "--dry-run");
    assertThat(dry.code()).isZero();
    assertThat(dry.out()).contains("  Deployment " + NS + "/istiod").contains("Dry run");
    assertThat(owned()).isEqualTo(before);

    Run r = run("uninstall", "-r", "default", "-y");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Removed Deployment " + NS + "/istiod.")
        .contains("✔ Uninstall complete");
    Map<String, String> left = new TreeMap<>(owned());
    left.keySet().removeIf(k -> k.startsWith("CustomResourceDefinition "));
    assertThat(left).containsOnly(Map.entry("installed-state", "<none>"));
    // CRDs are shared with whatever else runs Istio: only --purge removes them
    assertThat(
            client.apiextensions().v1().customResourceDefinitions().list().getItems().stream()
                .map(d -> d.getMetadata().getName()))
        .contains("virtualservices.networking.istio.io");

    Run again = run("uninstall", "-r", "default", "-y");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("no Istio installation found for revision default");
    assertThat(InstalledState.list(client)).isEmpty();
  }

  static String ownerOf(String kind, String name) {
    var live = client.genericKubernetesResources("v1", kind).inNamespace(NS).withName(name).get();
    return live == null
        ? "<none>"
        : live.getMetadata().getLabels().get(OwnerLabels.OWNING_RESOURCE);
  }

  @Test
  @Order(11)
  void aCanaryRevisionInstallsBesideTheDefaultAndItsUninstallHandsTheSharedObjectsBack() {
    assertThat(run("install", "-f", v1.toString(), "-y").code()).isZero();
    Run canary = run("install", "-f", v1.toString(), "-r", "canary", "-y");
    assertThat(canary.code()).as(canary.err()).isZero();
    assertThat(client.apps().deployments().inNamespace(NS).withName("istiod").get()).isNotNull();
    assertThat(client.apps().deployments().inNamespace(NS).withName("istiod-canary").get())
        .isNotNull();
    // the Istio core objects are shared: the last install holds them
    assertThat(ownerOf("ServiceAccount", "istio-reader-service-account"))
        .isEqualTo("installed-state-canary");
    assertThat(InstalledState.list(client)).hasSize(2);

    Run both = run("verify-install");
    assertThat(both.code()).as(both.out()).isZero();
    assertThat(both.out())
        .contains("✔ Deployment: istiod." + NS)
        .contains("✔ Deployment: istiod-canary." + NS);

    Run r = run("uninstall", "-r", "canary", "-y");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Removed Deployment " + NS + "/istiod-canary.");
    assertThat(r.out()).doesNotContain("istio-reader-service-account");
    assertThat(client.apps().deployments().inNamespace(NS).withName("istiod-canary").get())
        .isNull();
    assertThat(ownerOf("ServiceAccount", "istio-reader-service-account"))
        .isEqualTo("installed-state");
    Run stillThere = run("verify-install", "-r", "default");
    assertThat(stillThere.code()).as(stillThere.out()).isZero();
  }

  @Test
  @Order(12)
  void purgeRemovesEveryInstallationAndTheCrds() {
    assertThat(run("install", "-f", v1.toString(), "-r", "canary", "-y").code()).isZero();
    Run dry = run("uninstall", "--purge", "--dry-run");
    assertThat(dry.code()).isZero();
    assertThat(dry.out())
        .contains("All Istio resources will be pruned from the cluster:")
        .contains("  CustomResourceDefinition virtualservices.networking.istio.io")
        .contains("  Deployment " + NS + "/istiod")
        .contains("  Deployment " + NS + "/istiod-canary");
    assertThat(InstalledState.list(client)).hasSize(2);

    Run r = answering("y\n", "uninstall", "--purge");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Proceed? (y/N)").contains("✔ Uninstall complete");
    assertThat(InstalledState.list(client)).isEmpty();
    assertThat(client.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
    assertThat(
            client
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("virtualservices.networking.istio.io")
                .get())
        .satisfiesAnyOf(
            crd -> assertThat(crd).isNull(),
            crd -> assertThat(crd.getMetadata().getDeletionTimestamp()).isNotNull());
    // the API server finishes deleting CRDs in the background, slowly on a busy machine; the next
    // step installs again and is about readiness, not about that wait (which install also does)
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofMinutes(3))
        .pollInterval(java.time.Duration.ofSeconds(1))
        .until(
            () ->
                client.apiextensions().v1().customResourceDefinitions().list().getItems().stream()
                    .noneMatch(
                        c ->
                            c.getSpec().getGroup().endsWith("istio.io")
                                && c.getMetadata().getDeletionTimestamp() != null));
  }

  @Test
  @Order(13)
  void aRolloutThatDoesNotFinishInTimeFailsTheInstallAndVerifyInstallSaysWhy() {
    paused = true;
    try {
      Run r = run("install", "-f", v1.toString(), "-y", "--readiness-timeout", "2s");
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.out())
          .contains("✔ Istio core installed")
          .contains(
              "✘ Istiod encountered an error: resources not ready after 2s: Deployment "
                  + NS
                  + "/istiod")
          .doesNotContain("Installation complete");
      assertThat(r.err()).contains("isthmus install: Istiod: resources not ready after 2s");

      Run verify = run("verify-install");
      assertThat(verify.code()).isEqualTo(1);
      assertThat(verify.out()).contains("✘ Deployment: istiod." + NS + ": not ready: 0 of 1");
    } finally {
      paused = false;
    }
    Run again = run("install", "-f", v1.toString(), "-y");
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(run("verify-install").code()).isZero();
    assertThat(run("uninstall", "-r", "default", "-y").code()).isZero();
  }
}
