package dev.isthmus.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.render.RevisionTags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The tag webhook as {@code isthmus tag set|generate} builds it from a revision's injector: golden
 * under {@code src/test/resources/golden/tag-*.yaml}; the {@code values.revisionTags} route is in
 * {@link GoldenTest}'s {@code revision-tags} case.
 */
class RevisionTagsTest {
  private static void assertGolden(String name, ObjectNode webhook) throws IOException {
    String actual = Yamls.toYaml(webhook);
    Path golden = GoldenTest.GOLDEN.resolve(name + ".yaml");
    if (Boolean.getBoolean("golden.refresh")) {
      Files.writeString(golden, actual, StandardCharsets.UTF_8);
    }
    assertThat(golden).exists();
    assertThat(actual).isEqualTo(Files.readString(golden));
  }

  @Test
  void prodTagPointsAtTheCanaryServiceWithItsCaBundle() throws IOException {
    assertGolden(
        "tag-prod-canary",
        RevisionTags.webhook(
            new RevisionTags.Tag("prod", "canary", "istio-system", "", "Q0EK", "Never")));
  }

  @Test
  void defaultTagAlsoTakesTheLegacySelectors() throws IOException {
    ObjectNode wh =
        RevisionTags.webhook(new RevisionTags.Tag("default", "1-28", "mesh", "", "", "Never"));
    assertGolden("tag-default-other-namespace", wh);
    assertThat(wh.at("/metadata/name").asText()).isEqualTo("istio-revision-tag-default-mesh");
    assertThat(wh.at("/webhooks").size()).isEqualTo(4);
  }

  @Test
  void defaultTagMovesTheDefaultValidatorToTheRevision() throws IOException {
    assertGolden(
        "tag-default-validator",
        RevisionTags.defaultValidator(
            new RevisionTags.Tag("default", "canary", "istio-system", "", "Q0EK", "Never"),
            "Fail"));
    ObjectNode remote =
        RevisionTags.defaultValidator(
            new RevisionTags.Tag(
                "default", "", "istio-system", "https://cp.example:15017/inject", "", "Never"),
            null);
    assertThat(remote.at("/webhooks/0/clientConfig/url").asText())
        .isEqualTo("https://cp.example:15017/validate");
    assertThat(remote.at("/webhooks/0/failurePolicy").asText()).isEqualTo("Ignore");
  }

  @Test
  void injectionPathOfTheRevisionIsKept() {
    ObjectNode wh =
        RevisionTags.webhook(
            new RevisionTags.Tag(
                "prod", "canary", "istio-system", "", "", "Never", "/inject/cluster/c1/net/n1"));
    assertThat(wh.at("/webhooks/1/clientConfig/service/path").asText())
        .isEqualTo("/inject/cluster/c1/net/n1");
  }

  @Test
  void remoteRevisionKeepsItsUrl() {
    ObjectNode wh =
        RevisionTags.webhook(
            new RevisionTags.Tag("prod", "", "istio-system", "https://cp:15017/inject", "", ""));
    assertThat(wh.at("/webhooks/0/clientConfig/url").asText()).isEqualTo("https://cp:15017/inject");
    assertThat(wh.at("/webhooks/0/clientConfig/service").isMissingNode()).isTrue();
    assertThat(wh.at("/metadata/labels/istio.io~1rev").asText()).isEqualTo("default");
  }

  @Test
  void tagNamesAreDnsLabels() {
    assertThat(RevisionTags.invalidTagName("prod-1")).isNull();
    assertThat(RevisionTags.invalidTagName("Prod")).contains("\"Prod\"").contains("DNS label");
    assertThat(RevisionTags.invalidTagName("")).contains("empty");
  }
}
