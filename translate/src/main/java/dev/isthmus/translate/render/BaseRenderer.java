package dev.isthmus.translate.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.api.Crds;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code BaseRenderer} renders the Base component: the Istio config CRDs, the istio-reader service
 * account (its cluster role comes with Pilot, as in Istio), and the default-revision validator when
 * a default revision is set.
 */
public final class BaseRenderer {
  private static final List<ObjectNode> CRDS = crds();

  private BaseRenderer() {}

  private static List<ObjectNode> crds() {
    List<ObjectNode> out = new ArrayList<>();
    for (CustomResourceDefinition crd : Crds.istioConfig()) {
      ObjectNode n = K8s.node(crd);
      n.remove("status");
      out.add(n);
    }
    return List.copyOf(out);
  }

  /** Renders Base. */
  public static List<ObjectNode> render(RenderContext ctx, String namespace) {
    Vals v = ctx.values();
    List<ObjectNode> out = new ArrayList<>();
    if (v.bool("base.enableIstioConfigCRDs", true)) {
      for (ObjectNode crd : CRDS) {
        out.add(crd.deepCopy());
      }
    }
    if (v.bool("global.enableReaderRBAC", true)) {
      out.add(
          K8s.node(
              new ServiceAccountBuilder()
                  .withMetadata(
                      K8s.meta(
                          "istio-reader-service-account",
                          namespace,
                          K8s.labels("app", "istio-reader", "release", "istio")))
                  .build()));
    }
    String defaultRevision = v.str("defaultRevision", "");
    if (!defaultRevision.isEmpty()) {
      out.add(Webhooks.defaultValidator(ctx, defaultRevision));
    }
    return out;
  }
}
