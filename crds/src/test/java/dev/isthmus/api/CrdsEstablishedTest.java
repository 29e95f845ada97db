package dev.isthmus.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import org.junit.jupiter.api.Test;

/** A CRD is Established only when its status says so, however early it is looked at. */
class CrdsEstablishedTest {
  @Test
  void aStatusWithoutConditionsIsNotEstablished() {
    var fresh = new CustomResourceDefinitionBuilder().withNewStatus().endStatus().build();
    fresh.getStatus().setConditions(null);
    assertThat(Crds.established(fresh)).isFalse();
    assertThat(Crds.established(new CustomResourceDefinitionBuilder().build())).isFalse();
    assertThat(Crds.established(null)).isFalse();
  }

  @Test
  void theEstablishedConditionCounts() {
    var crd =
        new CustomResourceDefinitionBuilder()
            .withNewStatus()
            .addNewCondition()
            .withType("Established")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();
    assertThat(Crds.established(crd)).isTrue();
  }
}
