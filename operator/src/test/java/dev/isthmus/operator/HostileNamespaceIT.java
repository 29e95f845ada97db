package dev.isthmus.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.isthmus.api.v1alpha1.InstallStatus;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.testing.WithKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Whoever may edit one namespace (OLM aggregates the IstioOperator kind into the {@code edit} and
 * {@code admin} roles) can create an IstioOperator there. The operator must not act on it unless
 * that namespace is one it was told to watch: otherwise it applies ClusterRoles, webhooks and a
 * privileged DaemonSet on that user's behalf.
 */
@WithKubeApiServer
@Tag("hostile")
class HostileNamespaceIT {
  static final String WATCHED = "istio-system";
  static final String TENANT = "hostile-tenant";

  @Test
  void byDefaultAnIstioOperatorOutsideTheOperatorsNamespaceIsLeftAlone(KubernetesClient client) {
    OperatorFixture.namespace(client, WATCHED);
    OperatorFixture.namespace(client, TENANT);
    var tenant =
        client
            .resources(IstioOperator.class)
            .inNamespace(TENANT)
            .resource(OperatorFixture.baseOnly("takeover", TENANT));
    var admin =
        client
            .resources(IstioOperator.class)
            .inNamespace(WATCHED)
            .resource(OperatorFixture.baseOnly("hostile-control", WATCHED));
    try (IsthmusOperator operator =
        IsthmusOperator.start(client, IsthmusOperator.Config.defaults())) {
      tenant.create();
      admin.create();
      // the administrators' IstioOperator, created after the tenant's, is installed: the operator
      // has had its chance at both
      OperatorFixture.awaitStatus(admin::get, InstallStatus.HEALTHY);
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertUntouched(client, tenant.get()));

      OperatorFixture.deleteAndAwait(admin);
    } finally {
      // had the operator taken it, its finalizer would outlive the operator stopped above
      if (tenant.get() != null) {
        tenant.edit(
            i -> {
              i.getMetadata().setFinalizers(List.of());
              return i;
            });
        tenant.delete();
      }
    }
  }

  private static void assertUntouched(KubernetesClient client, IstioOperator iop) {
    assertThat(iop.getStatus()).as("status of %s/takeover", TENANT).isNull();
    assertThat(iop.getMetadata().getFinalizers()).doesNotContain(OwnerLabels.FINALIZER);
    List<String> owned = new ArrayList<>();
    Pruner pruner = new Pruner(client, java.util.Set.of(TENANT, WATCHED));
    for (ManagedKinds.Kind kind : ManagedKinds.ALL) {
      pruner.owned(iop, kind).forEach(o -> owned.add(Objects.describe(o)));
    }
    assertThat(owned).as("objects applied for %s/takeover", TENANT).isEmpty();
    assertThat(client.v1().events().inNamespace(TENANT).list().getItems())
        .as("events recorded on %s/takeover", TENANT)
        .isEmpty();
  }
}
