package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.Crds;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code BaseRenderer} renders the Base component: the Istio config CRDs, the istio-reader service
 * account with its cluster role, and the default-revision validator when a default revision is set.
 */
public final class BaseRenderer {
  private BaseRenderer() {}

  /** Renders Base. */
  public static List<ObjectNode> render(RenderContext ctx) {
    Vals v = ctx.values();
    List<ObjectNode> out = new ArrayList<>();
    if (v.bool("base.enableIstioConfigCRDs", true)) {
      for (CustomResourceDefinition crd : Crds.istioConfig()) {
        ObjectNode n = K8s.node(crd);
        n.remove("status");
        out.add(n);
      }
    }
    String ns = ctx.istioNamespace();
    if (v.bool("global.enableReaderRBAC", true)) {
      Map<String, String> labels = K8s.labels("app", "istio-reader", "release", "istio");
      String name = "istio-reader-clusterrole" + ctx.revSuffix() + "-" + ns;
      out.add(
          K8s.node(
              new ServiceAccountBuilder()
                  .withMetadata(K8s.meta("istio-reader-service-account", ns, labels))
                  .build()));
      out.add(
          K8s.node(
              new ClusterRoleBuilder()
                  .withMetadata(K8s.meta(name, null, labels))
                  .withRules(Rbac.readerRules())
                  .build()));
      out.add(
          K8s.node(
              new ClusterRoleBindingBuilder()
                  .withMetadata(K8s.meta(name, null, labels))
                  .withRoleRef(K8s.roleRef("ClusterRole", name))
                  .withSubjects(K8s.sa("istio-reader-service-account", ns))
                  .build()));
    }
    String defaultRevision = v.str("defaultRevision", "");
    if (!defaultRevision.isEmpty()) {
      out.add(Webhooks.defaultValidator(ctx, defaultRevision));
    }
    return out;
  }
}
