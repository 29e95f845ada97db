package dev.isthmus.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two GitOps rules on hand-written objects, including Argo CD's own test cases for
 * IstioOperator.
 */
class GitOpsHealthTest {
  private static JsonNode obj(String yaml) {
    return BundleYaml.parse(yaml);
  }

  @ParameterizedTest
  @CsvSource({
    "NONE, Unknown",
    "UPDATING, Progressing",
    "RECONCILING, Progressing",
    "HEALTHY, Healthy",
    "ERROR, Degraded",
    "ACTION_REQUIRED, Progressing",
    "0, Unknown",
    "3, Healthy",
    "4, Degraded"
  })
  void argoCdMapsStatusStatus(String status, String health) {
    String value = status.matches("\\d") ? status : "\"" + status + "\"";
    JsonNode iop =
        obj(
            "kind: IstioOperator\nmetadata: {name: x, generation: 1}\nstatus: {status: "
                + value
                + "}\n");
    assertThat(GitOpsHealth.argoCd(iop).status()).isEqualTo(health);
  }

  @ParameterizedTest
  @CsvSource({
    "'kind: IstioOperator', Progressing, Waiting for Istio Control Plane",
    "'{kind: IstioOperator, status: {}}', Progressing, Waiting for Istio Control Plane",
    "'{kind: IstioOperator, metadata: {deletionTimestamp: \"2026-01-01T00:00:00Z\"}, status: {status: HEALTHY}}', Progressing, Pending deletion"
  })
  void argoCdWithoutStatusOrWhileDeleting(String yaml, String health, String message) {
    assertThat(GitOpsHealth.argoCd(obj(yaml))).isEqualTo(new GitOpsHealth.Result(health, message));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{metadata: {generation: 2}, status: {observedGeneration: 1, conditions: [{type: Ready, status: 'True'}]}} | InProgress",
        "{metadata: {generation: 2}, status: {observedGeneration: 2, conditions: [{type: Ready, status: 'True'}]}} | Current",
        "{metadata: {generation: 2}, status: {observedGeneration: 2, conditions: [{type: Ready, status: 'False'}]}} | InProgress",
        "{metadata: {generation: 2}, status: {observedGeneration: 2, conditions: [{type: Stalled, status: 'True'}, {type: Ready, status: 'True'}]}} | Failed",
        "{metadata: {generation: 2}, status: {observedGeneration: 2, conditions: [{type: Reconciling, status: 'True'}]}} | InProgress",
        "{metadata: {generation: 2}, status: {}} | Current",
        "{metadata: {generation: 2, deletionTimestamp: '2026-01-01T00:00:00Z'}, status: {observedGeneration: 2}} | Terminating"
      })
  void kstatusRules(String yaml, String status) {
    assertThat(GitOpsHealth.kstatus(obj("{kind: IstioOperator, " + yaml.substring(1))).status())
        .isEqualTo(status);
  }
}
