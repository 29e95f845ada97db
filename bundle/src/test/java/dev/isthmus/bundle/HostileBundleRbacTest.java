package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.operator.OperatorManifests;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rights a namespace editor could borrow through the operator are bounded by the operator's
 * RBAC: checked on the checked-in CSV (what OLM grants) and on what {@code isthmus up} applies to a
 * cluster.
 */
@Tag("hostile")
class HostileBundleRbacTest {
  private static final JsonNode CSV = BundleDir.csv();

  static Stream<Arguments> ruleSets() {
    List<Arguments> sets = new ArrayList<>();
    for (String field : List.of("clusterPermissions", "permissions")) {
      JsonNode perms = CSV.at("/spec/install/spec/" + field);
      for (int i = 0; i < Math.max(1, perms.size()); i++) {
        sets.add(
            Arguments.of(
                "CSV " + field + "[" + i + "]",
                Serialization.jsonMapper()
                    .convertValue(
                        perms.path(i).path("rules"), new TypeReference<List<PolicyRule>>() {})));
      }
    }
    for (HasMetadata o : OperatorManifests.all("isthmus-system", OperatorManifests.DEFAULT_IMAGE)) {
      if (o instanceof ClusterRole r) {
        sets.add(Arguments.of("ClusterRole " + r.getMetadata().getName(), r.getRules()));
      } else if (o instanceof Role r) {
        sets.add(
            Arguments.of(
                "Role " + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName(),
                r.getRules()));
      }
    }
    return sets.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ruleSets")
  void noWildcardsAndBindOrEscalateOnlyOnNamedRoles(String name, List<PolicyRule> rules) {
    assertThat(rules).as(name).isNotNull().isNotEmpty();
    for (PolicyRule r : rules) {
      assertThat(r.getVerbs()).as(name).doesNotContain("*");
      assertThat(r.getResources()).as(name).doesNotContain("*");
      assertThat(r.getApiGroups()).as(name).doesNotContain("*");
      if (r.getVerbs().contains("bind")
          || r.getVerbs().contains("escalate")
          || r.getVerbs().contains("impersonate")) {
        assertThat(r.getResourceNames())
            .as(name + ": " + r.getVerbs() + " on " + r.getResources() + " needs resourceNames")
            .isNotNull()
            .isNotEmpty()
            .doesNotContain("*");
      }
    }
  }

  @Test
  void secretsAreNeverGrantedClusterWide() {
    JsonNode cluster = CSV.at("/spec/install/spec/clusterPermissions");
    for (JsonNode p : cluster) {
      for (JsonNode rule : p.path("rules")) {
        assertThat(rule.path("resources").toString()).doesNotContain("\"secrets\"");
      }
    }
    for (HasMetadata o : OperatorManifests.all("isthmus-system", OperatorManifests.DEFAULT_IMAGE)) {
      if (o instanceof ClusterRole r) {
        assertThat(r.getRules()).noneMatch(rule -> rule.getResources().contains("secrets"));
      }
    }
  }

  @Test
  void installModesAreOwnAndSingleNamespaceOnly() {
    Map<String, Boolean> modes = new LinkedHashMap<>();
    CSV.at("/spec/installModes")
        .forEach(m -> modes.put(m.path("type").asText(), m.path("supported").asBoolean()));
    assertThat(modes)
        .containsEntry("OwnNamespace", true)
        .containsEntry("SingleNamespace", true)
        .containsEntry("MultiNamespace", false)
        .containsEntry("AllNamespaces", false);
  }

  @Test
  void theOlmDeploymentWatchesOlmsTargetNamespace() {
    DeploymentSpec spec =
        Serialization.jsonMapper().convertValue(csvDeploymentSpec(), DeploymentSpec.class);
    var container = spec.getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getArgs()).doesNotContain("--namespaces");
    EnvVar watch =
        container.getEnv().stream()
            .filter(e -> e.getName().equals("WATCH_NAMESPACE"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no WATCH_NAMESPACE in the CSV Deployment"));
    assertThat(watch.getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.annotations['olm.targetNamespaces']");
  }

  @Test
  void theClusterInstallOfIsthmusUpWatchesIstioSystemOnly() {
    Deployment d =
        OperatorManifests.all("isthmus-system", OperatorManifests.DEFAULT_IMAGE).stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsSequence("--namespaces", "istio-system");
  }

  private static JsonNode csvDeploymentSpec() {
    return CSV.at("/spec/install/spec/deployments/0/spec");
  }
}
