package dev.isthmus.controlplane.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an operator is told about the Gateway API CRDs a cluster serves. */
class GatewayApiCrdsTest {
  static Map<String, Boolean> allServed() {
    Map<String, Boolean> m = new LinkedHashMap<>();
    GatewayApiCrds.KINDS.forEach(k -> m.put(k, true));
    return m;
  }

  @Test
  void noCrdsIsSaidPlainly() {
    GatewayApiCrds none = new GatewayApiCrds(Map.of(), Map.of());
    assertThat(none.served("gateways")).isFalse();
    assertThat(none.warnings()).singleElement().asString().contains("not installed");
  }

  @Test
  void theSupportedBundleGivesNoWarning() {
    Map<String, String> versions = new LinkedHashMap<>();
    GatewayApiCrds.KINDS.forEach(k -> versions.put(k, "v1.6.0"));
    assertThat(new GatewayApiCrds(allServed(), versions).warnings()).isEmpty();
  }

  @Test
  void aKindWithoutServedV1AndAnOlderBundleAreNamed() {
    Map<String, Boolean> served = allServed();
    served.put("tlsroutes", false);
    GatewayApiCrds crds =
        new GatewayApiCrds(served, Map.of("tlsroutes", "v1.2.1", "gateways", "v1.6.0"));
    assertThat(crds.served("tlsroutes")).isFalse();
    assertThat(crds.warnings())
        .anySatisfy(w -> assertThat(w).contains("tlsroutes are not served"))
        .anySatisfy(w -> assertThat(w).contains("tlsroutes is from v1.2.1"));
    assertThat(GatewayApiCrds.older("v1.5.1", "v1.6.0")).isTrue();
    assertThat(GatewayApiCrds.older("v1.6.0", "v1.6.0")).isFalse();
    assertThat(GatewayApiCrds.older("v1.10.0", "v1.6.0")).isFalse();
  }
}
