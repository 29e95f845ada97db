package dev.isthmus.cli.cluster;

import static dev.isthmus.cli.cluster.ClusterVerbsFixture.client;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.injector;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.namespace;
import static dev.isthmus.cli.cluster.ClusterVerbsFixture.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.isthmus.cli.cluster.VerbRunner.Run;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code isthmus tag} against a real API server: the tag webhook appears with the revision's
 * service and caBundle, is listed with the namespaces using it, moves only with {@code
 * --overwrite}, and disappears on remove; every refusal exits 1 and changes nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TagIT {
  static final String CANARY_CA = "Y2FuYXJ5LWNh";
  static final String STABLE_CA = "c3RhYmxlLWNh";

  @BeforeAll
  static void revisions() {
    injector("tcanary", CANARY_CA);
    injector("tstable", STABLE_CA);
    namespace("tag-users", "istio.io/rev", "tprod");
  }

  static MutatingWebhookConfiguration tagWebhook(String tag) {
    return client()
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withName("istio-revision-tag-" + tag)
        .get();
  }

  @Test
  @Order(1)
  void setCreatesTheTagWebhookFromTheRevisionsInjector() {
    Run r = run("tag", "set", "tprod", "--revision", "tcanary");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"tprod\"").contains("\"tcanary\"");
    MutatingWebhookConfiguration wh = tagWebhook("tprod");
    assertThat(wh).isNotNull();
    assertThat(wh.getMetadata().getLabels())
        .containsEntry("istio.io/tag", "tprod")
        .containsEntry("istio.io/rev", "tcanary");
    assertThat(wh.getWebhooks())
        .extracting(MutatingWebhook::getName)
        .containsExactly(
            "rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io");
    for (MutatingWebhook h : wh.getWebhooks()) {
      assertThat(h.getClientConfig().getCaBundle()).isEqualTo(CANARY_CA);
      assertThat(h.getClientConfig().getService().getName()).isEqualTo("istiod-tcanary");
    }
    assertThat(wh.getWebhooks().get(0).getNamespaceSelector().getMatchExpressions().get(0))
        .satisfies(
            e -> {
              assertThat(e.getKey()).isEqualTo("istio.io/rev");
              assertThat(e.getValues()).containsExactly("tprod");
            });
  }

  @Test
  @Order(2)
  void listShowsTheTagItsRevisionAndTheNamespacesUsingIt() throws Exception {
    Run r = run("tag", "list");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().findFirst().orElse("")).matches("TAG +REVISION +NAMESPACES");
    assertThat(r.out()).containsPattern("(?m)^tprod +tcanary +tag-users$");
    Run json = run("tag", "list", "-o", "json");
    assertThat(json.code()).isZero();
    List<Map<String, Object>> rows =
        Serialization.jsonMapper()
            .readValue(
                json.out(),
                new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() {});
    assertThat(rows)
        .contains(
            Map.of("tag", "tprod", "revision", "tcanary", "namespaces", List.of("tag-users")));
  }

  @Test
  @Order(3)
  void movingATagToAnotherRevisionNeedsOverwrite() {
    String before = tagWebhook("tprod").getMetadata().getResourceVersion();
    Run r = run("tag", "set", "tprod", "-r", "tstable");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("isthmus tag: ").contains("\"tcanary\"").contains("--overwrite");
    assertThat(r.out()).isEmpty();
    assertThat(tagWebhook("tprod").getMetadata().getResourceVersion()).isEqualTo(before);

    Run again = run("tag", "set", "tprod", "-r", "tcanary");
    assertThat(again.code()).as("same revision again is fine: " + again.err()).isZero();

    Run moved = run("tag", "set", "tprod", "-r", "tstable", "--overwrite");
    assertThat(moved.code()).as(moved.err()).isZero();
    MutatingWebhookConfiguration wh = tagWebhook("tprod");
    assertThat(wh.getMetadata().getLabels()).containsEntry("istio.io/rev", "tstable");
    assertThat(wh.getWebhooks().get(0).getClientConfig().getCaBundle()).isEqualTo(STABLE_CA);
  }

  @Test
  @Order(4)
  void refusalsExitOneAndCreateNothing() {
    Map<List<String>, String> cases =
        Map.of(
            List.of("tag", "set", "tcanary", "-r", "tstable"),
                "control plane revision has that name",
            List.of("tag", "set", "Bad_Tag", "-r", "tstable"), "\"Bad_Tag\" is not a DNS label",
            List.of("tag", "set", "orphan", "-r", "nosuchrev"), "revision \"nosuchrev\"",
            List.of("tag", "set", "norev"), "--revision",
            List.of("tag", "remove", "nosuchtag"), "\"nosuchtag\"",
            List.of("tag", "list", "-o", "xml"), "--output xml",
            List.of("tag", "frobnicate"), "frobnicate");
    int before = tagCount();
    cases.forEach(
        (args, says) -> {
          Run r = run(args.toArray(String[]::new));
          assertThat(r.code()).as(args + ": " + r.err()).isEqualTo(1);
          assertThat(r.err()).as(args.toString()).contains(says);
        });
    assertThat(tagCount()).isEqualTo(before);
    assertThat(tagWebhook("tcanary")).isNull();
    assertThat(tagWebhook("orphan")).isNull();
  }

  @Test
  @Order(5)
  void generatePrintsTheWebhookAndAppliesNothing() throws Exception {
    Run r = run("tag", "generate", "tgen", "-r", "tcanary");
    assertThat(r.code()).as(r.err()).isZero();
    MutatingWebhookConfiguration printed =
        Serialization.yamlMapper().readValue(r.out(), MutatingWebhookConfiguration.class);
    assertThat(printed.getMetadata().getName()).isEqualTo("istio-revision-tag-tgen");
    assertThat(printed.getWebhooks().get(0).getClientConfig().getCaBundle()).isEqualTo(CANARY_CA);
    assertThat(tagWebhook("tgen")).isNull();
  }

  @Test
  @Order(6)
  void removeRefusesWhileNamespacesUseTheTagUnlessSkipConfirmation() {
    Run r = run("tag", "remove", "tprod");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("tag-users").contains("--skip-confirmation");
    assertThat(tagWebhook("tprod")).isNotNull();

    Run removed = run("tag", "remove", "tprod", "-y");
    assertThat(removed.code()).as(removed.err()).isZero();
    assertThat(removed.out()).contains("Revision tag tprod removed");
    assertThat(tagWebhook("tprod")).isNull();
  }

  /**
   * istioctl's {@code tag generate} against the same cluster renders the same webhooks: names,
   * client config (service and caBundle) and selectors. Skipped without the istioctl that {@code
   * scripts/istio-binaries.sh} builds, failing under {@code CI=true}.
   */
  @Test
  @Order(7)
  void generateMatchesIstioctl() throws Exception {
    Path istioctl = istioctl();
    Process p =
        new ProcessBuilder(
                istioctl.toString(),
                "tag",
                "generate",
                "tpeer",
                "--revision",
                "tcanary",
                "--kubeconfig",
                ClusterVerbsFixture.KUBECONFIG.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String theirs = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(theirs).isZero();
    Run ours = run("tag", "generate", "tpeer", "-r", "tcanary");
    assertThat(ours.code()).as(ours.err()).isZero();
    MutatingWebhookConfiguration a =
        Serialization.yamlMapper().readValue(theirs, MutatingWebhookConfiguration.class);
    MutatingWebhookConfiguration b =
        Serialization.yamlMapper().readValue(ours.out(), MutatingWebhookConfiguration.class);
    assertThat(b.getMetadata().getName()).isEqualTo(a.getMetadata().getName());
    assertThat(b.getMetadata().getLabels())
        .containsEntry("istio.io/tag", a.getMetadata().getLabels().get("istio.io/tag"))
        .containsEntry("istio.io/rev", a.getMetadata().getLabels().get("istio.io/rev"));
    assertThat(b.getWebhooks()).hasSameSizeAs(a.getWebhooks());
    for (int i = 0; i < a.getWebhooks().size(); i++) {
      MutatingWebhook x = a.getWebhooks().get(i);
      MutatingWebhook y = b.getWebhooks().get(i);
      assertThat(y.getName()).isEqualTo(x.getName());
      assertThat(y.getClientConfig()).as(x.getName()).isEqualTo(x.getClientConfig());
      assertThat(y.getNamespaceSelector()).as(x.getName()).isEqualTo(x.getNamespaceSelector());
      assertThat(y.getObjectSelector()).as(x.getName()).isEqualTo(x.getObjectSelector());
      assertThat(y.getRules()).hasSameSizeAs(x.getRules());
    }
  }

  @Test
  @Order(8)
  void defaultTagAlsoMovesTheDefaultValidator() {
    try {
      Run r = run("tag", "set", "default", "-r", "tcanary");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(tagWebhook("default").getWebhooks())
          .extracting(MutatingWebhook::getName)
          .contains("namespace.sidecar-injector.istio.io", "object.sidecar-injector.istio.io");
      var vwc =
          client()
              .admissionRegistration()
              .v1()
              .validatingWebhookConfigurations()
              .withName("istiod-default-validator")
              .get();
      assertThat(vwc.getMetadata().getLabels()).containsEntry("istio.io/rev", "tcanary");
      assertThat(vwc.getWebhooks().get(0).getClientConfig().getService().getName())
          .isEqualTo("istiod-tcanary");
      assertThat(vwc.getWebhooks().get(0).getClientConfig().getCaBundle()).isEqualTo(CANARY_CA);
    } finally {
      run("tag", "remove", "default", "-y");
      client()
          .admissionRegistration()
          .v1()
          .validatingWebhookConfigurations()
          .withName("istiod-default-validator")
          .delete();
    }
    assertThat(tagWebhook("default")).isNull();
  }

  static Path istioctl() {
    String prop = System.getProperty("istio.bin.dir");
    String env = System.getenv("ISTIO_BIN_DIR");
    Path folder =
        prop != null && !prop.isBlank()
            ? Path.of(prop)
            : env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".isthmus", "istio", ISTIO_VERSION);
    Path bin = folder.resolve("istioctl");
    if (!Files.isExecutable(bin)) {
      String why =
          "istioctl not found at "
              + bin
              + " (build it with `bash scripts/istio-binaries.sh`, or pass -Distio.bin.dir=FOLDER)";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(why);
      }
      Assumptions.abort(why);
    }
    return bin;
  }

  /** The Istio commit {@code scripts/istio-binaries.sh} builds. */
  static final String ISTIO_VERSION = "v0.0.0-20260827124520-eed52ebb66ad";

  private static int tagCount() {
    return client()
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withLabel("istio.io/tag")
        .list()
        .getItems()
        .stream()
        .collect(Collectors.counting())
        .intValue();
  }
}
